// Log: structured logging through spdlog, as logfmt or JSON lines.
//
// Every line is one event: a message plus key/value fields. Callers never put
// record contents (possible PII) or API keys into fields. Thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "llm_cost_exporter/status.h"

namespace lce::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kLogfmt, kJson };

// Parses "debug|info|warn|error" and "logfmt|json" (flag values).
Result<Level> ParseLevel(std::string_view text);
Result<Format> ParseFormat(std::string_view text);

// Configures the process-wide logger (stderr). Call once at start-up.
void Init(Level level, Format format);

using Field = std::pair<std::string_view, std::string>;

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});
inline void Debug(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kDebug, msg, f); }
inline void Info(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kInfo, msg, f); }
inline void Warn(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kWarn, msg, f); }
inline void Error(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kError, msg, f); }

// An audit event (msg=audit): who (`actor`: an API key id, a basic auth
// user, "anonymous" or "signal"; never a secret) did what to which object,
// and the result.
inline void Audit(std::string_view actor, std::string_view action, std::string_view object, std::string_view result) {
  Info("audit", {{"actor", std::string(actor)},
                 {"action", std::string(action)},
                 {"object", std::string(object)},
                 {"result", std::string(result)}});
}

// Formats one event without writing it (exposed for tests).
std::string FormatEvent(Format format, Level level, std::string_view timestamp, std::string_view msg,
                        std::initializer_list<Field> fields);

}  // namespace lce::log
