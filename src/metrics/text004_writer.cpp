// The Prometheus text format 0.0.4 (see scrape.h, SerializeText004). The
// unit test holds it to prometheus-cpp's TextSerializer on every metric type,
// escape and special value; the e2e golden test to the bytes of /metrics.
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "scrape.h"
#include "text_format.h"

namespace lce {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// The 0.0.4 spelling of NaN is prometheus-cpp's "Nan" (Prometheus parses any case).
void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "Nan";
  } else {
    metrics::AppendDouble(out, value);
  }
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void Family(const MetricFamily& family) {
    if (!family.help.empty()) {
      out_ += "# HELP ";
      out_ += family.name;
      out_ += ' ';
      out_ += family.help;
      out_ += '\n';
    }
    out_ += "# TYPE ";
    out_ += family.name;
    out_ += ' ';
    out_ += metrics::TypeName(family.type, "untyped");
    out_ += '\n';
    for (const ClientMetric& sample : family.metric) Sample(family, sample);
  }

 private:
  void Sample(const MetricFamily& family, const ClientMetric& sample) {
    switch (family.type) {
      case MetricType::Counter: ValueLine(family.name, "", sample, sample.counter.value); break;
      case MetricType::Gauge: ValueLine(family.name, "", sample, sample.gauge.value); break;
      case MetricType::Untyped: ValueLine(family.name, "", sample, sample.untyped.value); break;
      case MetricType::Summary: Summary(family.name, sample); break;
      case MetricType::Histogram: Histogram(family.name, sample); break;
    }
  }

  // name+suffix{labels[,extra="value"]} and the space before the value.
  void Head(std::string_view name, std::string_view suffix, const ClientMetric& sample,
            std::string_view extra_name = {}, std::string_view extra_value = {}) {
    out_ += name;
    out_ += suffix;
    if (!sample.label.empty() || !extra_name.empty()) {
      out_ += '{';
      bool first = true;
      for (const ClientMetric::Label& label : sample.label) {
        metrics::AppendLabel(out_, first, label.name, label.value);
        first = false;
      }
      if (!extra_name.empty()) metrics::AppendLabel(out_, first, extra_name, extra_value);
      out_ += '}';
    }
    out_ += ' ';
  }

  void Tail(const ClientMetric& sample) {
    if (sample.timestamp_ms != 0) {
      out_ += ' ';
      if (sample.timestamp_ms < 0) {
        out_ += '-';
        metrics::AppendInteger(out_, 0 - static_cast<std::uint64_t>(sample.timestamp_ms));
      } else {
        metrics::AppendInteger(out_, static_cast<std::uint64_t>(sample.timestamp_ms));
      }
    }
    out_ += '\n';
  }

  void ValueLine(std::string_view name, std::string_view suffix, const ClientMetric& sample, double value) {
    Head(name, suffix, sample);
    AppendValue(out_, value);
    Tail(sample);
  }

  void CountAndSum(std::string_view name, const ClientMetric& sample, std::uint64_t count, double sum) {
    Head(name, "_count", sample);
    metrics::AppendInteger(out_, count);
    Tail(sample);
    ValueLine(name, "_sum", sample, sum);
  }

  void Summary(std::string_view name, const ClientMetric& sample) {
    CountAndSum(name, sample, sample.summary.sample_count, sample.summary.sample_sum);
    for (const ClientMetric::Quantile& q : sample.summary.quantile) {
      bound_.clear();
      AppendValue(bound_, q.quantile);
      Head(name, "", sample, "quantile", bound_);
      AppendValue(out_, q.value);
      Tail(sample);
    }
  }

  void Histogram(std::string_view name, const ClientMetric& sample) {
    CountAndSum(name, sample, sample.histogram.sample_count, sample.histogram.sample_sum);
    double last = -std::numeric_limits<double>::infinity();
    for (const ClientMetric::Bucket& bucket : sample.histogram.bucket) {
      bound_.clear();
      AppendValue(bound_, bucket.upper_bound);
      Head(name, "_bucket", sample, "le", bound_);
      metrics::AppendInteger(out_, bucket.cumulative_count);
      Tail(sample);
      last = bucket.upper_bound;
    }
    if (last != std::numeric_limits<double>::infinity()) {
      Head(name, "_bucket", sample, "le", "+Inf");
      metrics::AppendInteger(out_, sample.histogram.sample_count);
      Tail(sample);
    }
  }

  std::string& out_;
  std::string bound_;
};

}  // namespace

void AppendText004(const std::vector<MetricFamily>& families, std::string& out) {
  Writer writer(out);
  for (const MetricFamily& family : families) writer.Family(family);
}

std::string SerializeText004(const std::vector<MetricFamily>& families) {
  std::string out;
  AppendText004(families, out);
  return out;
}

}  // namespace lce
