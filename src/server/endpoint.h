// Endpoint: base of every HTTP handler. Routes one exact path and method,
// answers 404 / 405 otherwise, and counts every answer in
// llm_cost_exporter_http_requests_total. Private to the server module.
#pragma once

#include <memory>
#include <string>

#include <CivetServer.h>

#include "exporter_impl.h"

namespace lce {

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
  Exporter::Impl& impl_;

 private:
  bool Dispatch(const char* method, mg_connection* conn);

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
