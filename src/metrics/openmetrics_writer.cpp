// The OpenMetrics 1.0 text exposition of prometheus-cpp's MetricFamily model
// with the exemplars of our own families (see docs/metrics.md, "Formats"),
// and the Accept-header negotiation of GET /metrics.
//
// prometheus-cpp names a counter family with its _total suffix; OpenMetrics
// names the family without it (TYPE, UNIT and HELP lines) and its samples
// with it; a counter named without _total (none of ours) is written as
// `unknown` under its own name, since adding the suffix would rename its
// series when Prometheus switches formats. Values and `le` bounds are formatted exactly as prometheus-cpp's
// TextSerializer formats them (%.16g, "+Inf"), so a scrape in either format
// yields the same series and values.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/header_values.h"
#include "llm_cost_exporter/metrics.h"
#include "scrape.h"
#include "series_store.h"
#include "text_format.h"

namespace lce {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;
using metrics::AppendDouble;
using metrics::AppendEscaped;
using metrics::AppendExemplar;
using metrics::AppendInteger;
using metrics::AppendLabel;
using metrics::AppendTimestamp;

std::string SampleKey(std::string_view family, const Labels& labels, std::size_t bucket) {
  std::vector<std::string_view> parts;
  parts.reserve(2 + 2 * labels.size());
  parts.push_back(family);
  for (const ClientMetric::Label& label : labels) {
    parts.push_back(label.name);
    parts.push_back(label.value);
  }
  const std::string bucket_text = std::to_string(bucket);
  parts.push_back(bucket_text);
  std::string key;
  metrics::SeriesKey::Encode(parts, key);
  return key;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

class Writer {
 public:
  Writer(std::string& out, const ExemplarIndex& exemplars) : out_(out), exemplars_(exemplars) {}

  void Family(const MetricFamily& family) {
    std::string_view name = family.name;
    MetricType type = family.type;
    if (type == MetricType::Counter) {
      if (EndsWith(name, "_total")) {
        name.remove_suffix(std::string_view("_total").size());
      } else {
        type = MetricType::Untyped;
      }
    }
    Metadata(family.help, name, type);
    for (const ClientMetric& sample : family.metric) {
      switch (type) {
        case MetricType::Counter:
          Sample(name, "_total", sample, sample.counter.value, FindExemplar(family, sample, ExemplarIndex::kNoBucket));
          break;
        case MetricType::Gauge: Sample(name, "", sample, sample.gauge.value); break;
        case MetricType::Untyped:
          Sample(name, "", sample, family.type == MetricType::Counter ? sample.counter.value : sample.untyped.value);
          break;
        case MetricType::Summary: Summary(name, sample); break;
        case MetricType::Histogram: Histogram(family, name, sample); break;
      }
    }
  }

 private:
  static std::string_view TypeName(MetricType type) { return metrics::TypeName(type, "unknown"); }

  void Metadata(std::string_view help, std::string_view name, MetricType type) {
    if (!help.empty()) {
      out_ += "# HELP ";
      out_ += name;
      out_ += ' ';
      AppendEscaped(out_, help);
      out_ += '\n';
    }
    out_ += "# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += TypeName(type);
    out_ += '\n';
    metrics::AppendUnitLine(out_, name);
  }

  const lce::Exemplar* FindExemplar(const MetricFamily& family, const ClientMetric& sample, std::size_t bucket) const {
    return exemplars_.empty() ? nullptr : exemplars_.Find(family.name, sample.label, bucket);
  }

  // name+suffix{labels[,extra="value"]}
  void SeriesName(std::string_view name, std::string_view suffix, const Labels& labels,
                  std::string_view extra_name = {}, std::string_view extra_value = {}) {
    out_ += name;
    out_ += suffix;
    if (labels.empty() && extra_name.empty()) return;
    out_ += '{';
    bool first = true;
    for (const ClientMetric::Label& label : labels) {
      AppendLabel(out_, first, label.name, label.value);
      first = false;
    }
    if (!extra_name.empty()) AppendLabel(out_, first, extra_name, extra_value);
    out_ += '}';
  }

  void End(const ClientMetric& sample, const lce::Exemplar* exemplar = nullptr) {
    if (sample.timestamp_ms != 0) {
      out_ += ' ';
      AppendTimestamp(out_, sample.timestamp_ms);
    }
    AppendExemplar(out_, exemplar);
    out_ += '\n';
  }

  void Sample(std::string_view name, std::string_view suffix, const ClientMetric& sample, double value,
              const lce::Exemplar* exemplar = nullptr) {
    SeriesName(name, suffix, sample.label);
    out_ += ' ';
    AppendDouble(out_, value);
    End(sample, exemplar);
  }

  void CountAndSum(std::string_view name, const ClientMetric& sample, std::uint64_t count, double sum) {
    SeriesName(name, "_count", sample.label);
    out_ += ' ';
    AppendInteger(out_, count);
    End(sample);
    Sample(name, "_sum", sample, sum);
  }

  void Summary(std::string_view name, const ClientMetric& sample) {
    std::string bound;
    for (const ClientMetric::Quantile& q : sample.summary.quantile) {
      bound.clear();
      AppendDouble(bound, q.quantile);
      SeriesName(name, "", sample.label, "quantile", bound);
      out_ += ' ';
      AppendDouble(out_, q.value);
      End(sample);
    }
    CountAndSum(name, sample, sample.summary.sample_count, sample.summary.sample_sum);
  }

  void Histogram(const MetricFamily& family, std::string_view name, const ClientMetric& sample) {
    std::string bound;
    const auto& buckets = sample.histogram.bucket;
    for (std::size_t b = 0; b < buckets.size(); ++b) {
      bound.clear();
      AppendDouble(bound, buckets[b].upper_bound);
      SeriesName(name, "_bucket", sample.label, "le", bound);
      out_ += ' ';
      AppendInteger(out_, buckets[b].cumulative_count);
      End(sample, FindExemplar(family, sample, b));
    }
    // prometheus-cpp's model may omit +Inf; OpenMetrics requires it.
    if (buckets.empty() || !std::isinf(buckets.back().upper_bound)) {
      SeriesName(name, "_bucket", sample.label, "le", "+Inf");
      out_ += ' ';
      AppendInteger(out_, sample.histogram.sample_count);
      End(sample);
    }
    CountAndSum(name, sample, sample.histogram.sample_count, sample.histogram.sample_sum);
  }

  std::string& out_;
  const ExemplarIndex& exemplars_;
};

// Splits `s` at `sep`, calling f(part) for each part (trimmed).
template <typename F>
void ForEachPart(std::string_view s, char sep, F&& f) {
  for (;;) {
    const std::size_t at = s.find(sep);
    f(TrimOws(s.substr(0, at)));
    if (at == std::string_view::npos) return;
    s.remove_prefix(at + 1);
  }
}

}  // namespace

void ExemplarIndex::Add(std::string_view family, const Labels& labels, std::size_t bucket, Exemplar exemplar) {
  by_sample_.insert_or_assign(SampleKey(family, labels, bucket), std::move(exemplar));
}

const Exemplar* ExemplarIndex::Find(std::string_view family, const Labels& labels, std::size_t bucket) const {
  const auto it = by_sample_.find(SampleKey(family, labels, bucket));
  return it == by_sample_.end() ? nullptr : &it->second;
}

void AppendOpenMetricsFamilies(const std::vector<MetricFamily>& families, const ExemplarIndex& exemplars,
                               std::string& out) {
  Writer writer(out, exemplars);
  for (const MetricFamily& family : families) writer.Family(family);
}

void AppendOpenMetrics(const std::vector<MetricFamily>& families, const ExemplarIndex& exemplars, std::string& out) {
  AppendOpenMetricsFamilies(families, exemplars, out);
  out += "# EOF\n";
}

std::string SerializeOpenMetrics(const std::vector<MetricFamily>& families, const ExemplarIndex& exemplars) {
  std::string out;
  AppendOpenMetrics(families, exemplars, out);
  return out;
}

bool PrefersOpenMetrics(std::string_view accept_header) {
  double openmetrics = 0;  // the best q of each, 0: not acceptable
  double text = 0;
  ForEachPart(accept_header, ',', [&](std::string_view range) {
    std::string_view type;
    std::string_view version;
    double q = 1;
    bool first = true;
    ForEachPart(range, ';', [&](std::string_view part) {
      if (first) {
        type = part;
        first = false;
        return;
      }
      const std::size_t eq = part.find('=');
      if (eq == std::string_view::npos) return;
      const std::string_view key = TrimOws(part.substr(0, eq));
      const std::string_view value = TrimOws(part.substr(eq + 1));
      if (EqualsIgnoreCase(key, "q")) {
        if (std::from_chars(value.data(), value.data() + value.size(), q).ec != std::errc()) q = 0;
      } else if (EqualsIgnoreCase(key, "version")) {
        version = value;
      }
    });
    if (EqualsIgnoreCase(type, "application/openmetrics-text")) {
      if (version.empty() || version == "1.0.0" || version == "0.0.1") openmetrics = std::max(openmetrics, q);
    } else if (EqualsIgnoreCase(type, "text/plain") || EqualsIgnoreCase(type, "text/*") || type == "*/*") {
      text = std::max(text, q);
    }
  });
  return openmetrics > 0 && openmetrics >= text;
}

}  // namespace lce
