// Endpoint: base of every HTTP handler. Routes one exact path and method,
// answers 404 / 405 otherwise, authenticates the caller (API keys for the
// data endpoints, basic auth for the operator endpoints, nothing for the
// probes: see AccessFor in endpoint.cpp), and counts every answer in
// llm_cost_exporter_http_requests_total. Private to the server module.
#pragma once

#include <memory>
#include <string>

#include <CivetServer.h>

#include "exporter_impl.h"

namespace lce {

// Who made the request being served, as Dispatch established it.
struct Caller {
  const Principal* key = nullptr;  // the API key; null when keys are off or not needed
  std::string user;                // the basic auth user, when one was verified
  // For audit events: the key id, the user, or "anonymous".
  std::string_view Actor() const;
};

class Endpoint : public CivetHandler {
 public:
  Endpoint(Exporter::Impl& impl, std::string name, std::string path, std::string method)
      : impl_(impl), name_(std::move(name)), path_(std::move(path)), method_(std::move(method)) {}

  const std::string& path() const { return path_; }

  bool handleGet(CivetServer*, mg_connection* conn) override { return Dispatch("GET", conn); }
  bool handlePost(CivetServer*, mg_connection* conn) override { return Dispatch("POST", conn); }
  bool handlePut(CivetServer*, mg_connection* conn) override { return Dispatch("PUT", conn); }
  bool handleDelete(CivetServer*, mg_connection* conn) override { return Dispatch("DELETE", conn); }
  bool handlePatch(CivetServer*, mg_connection* conn) override { return Dispatch("PATCH", conn); }

 protected:
  // Sends the whole response and returns its status code.
  virtual int Serve(mg_connection* conn) = 0;

  // The caller of the request being served (only valid inside Serve).
  static const Caller& CallerOf(mg_connection* conn);
  // Whether the caller may write, check or read `campaign_id`: always when
  // API keys are off.
  static bool MayUseCampaign(mg_connection* conn, std::string_view campaign_id);
  // Answers 403 for a campaign outside the caller's key, counts and audits it.
  int Forbid(mg_connection* conn, std::string_view campaign_id);
  // Rejects the records of campaigns the caller's API key may not write
  // (reason forbidden_campaign; the others are kept), counts and audits
  // them. True when any record was rejected.
  bool RejectOutOfScope(mg_connection* conn, Batch* batch);
  // Whether every error is forbidden_campaign (a batch refused only for
  // scope answers 403 rather than 400).
  static bool OnlyForbidden(const std::vector<RecordError>& errors);

  Exporter::Impl& impl_;

 private:
  bool Dispatch(const char* method, mg_connection* conn);
  // Authenticates per AccessFor(name_); on failure sends 401 and returns false.
  bool Authenticate(mg_connection* conn, const Snapshot& snapshot, Caller* caller);
  // Applies server.rate_limit to the caller; over it sends 429 with
  // Retry-After, counts it and returns true.
  bool Throttle(mg_connection* conn, const Snapshot& snapshot, const Caller& caller);

  std::string name_;
  std::string path_;
  std::string method_;
};

std::unique_ptr<Endpoint> MakeUsageEndpoint(Exporter::Impl& impl);
std::unique_ptr<Endpoint> MakeTracesEndpoint(Exporter::Impl& impl);
std::unique_ptr<Endpoint> MakeMetricsEndpoint(Exporter::Impl& impl);
std::unique_ptr<Endpoint> MakeSpendEndpoint(Exporter::Impl& impl);
std::unique_ptr<Endpoint> MakeBudgetCheckEndpoint(Exporter::Impl& impl);
std::unique_ptr<Endpoint> MakeBudgetReserveEndpoint(Exporter::Impl& impl);
std::unique_ptr<Endpoint> MakeBudgetReleaseEndpoint(Exporter::Impl& impl);
std::unique_ptr<Endpoint> MakeHealthyEndpoint(Exporter::Impl& impl);
std::unique_ptr<Endpoint> MakeReadyEndpoint(Exporter::Impl& impl);
std::unique_ptr<Endpoint> MakeReloadEndpoint(Exporter::Impl& impl);
std::unique_ptr<Endpoint> MakeIndexEndpoint(Exporter::Impl& impl);

}  // namespace lce
