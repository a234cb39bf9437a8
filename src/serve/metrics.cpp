// 服务指标实现。
#include "serve/metrics.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace seqrec {

Metrics::Metrics(std::vector<std::string> route_labels) : labels_(std::move(route_labels)) {
  labels_.push_back("other");
  routes_ = std::make_unique<PerRoute[]>(labels_.size());
}

std::string prom_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\') o += "\\\\";
    else if (c == '"') o += "\\\"";
    else if (c == '\n') o += "\\n";
    else o += c;
  }
  return o;
}

void Metrics::observe(size_t route, int status, double seconds) {
  PerRoute& p = routes_[std::min(route, labels_.size() - 1)];
  size_t c = kCodes.size() - 1;  // "other"
  for (size_t i = 0; i + 1 < kCodes.size(); ++i)
    if (kCodes[i] == status) c = i;
  p.codes[c].fetch_add(1, std::memory_order_relaxed);
  size_t b = kBuckets.size();  // +Inf
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) {
      b = i;
      break;
    }
  p.buckets[b].fetch_add(1, std::memory_order_relaxed);
  p.sum_us.fetch_add(static_cast<uint64_t>(seconds * 1e6 + 0.5), std::memory_order_relaxed);
}

std::string Metrics::render() const {
  std::ostringstream o;
  o << "# HELP seqrec_http_requests_total HTTP requests answered, by route and status code.\n"
       "# TYPE seqrec_http_requests_total counter\n";
  for (size_t r = 0; r < labels_.size(); ++r)
    for (size_t c = 0; c < kCodes.size(); ++c) {
      const uint64_t v = routes_[r].codes[c].load(std::memory_order_relaxed);
      if (v == 0) continue;
      o << "seqrec_http_requests_total{route=\"" << labels_[r] << "\",code=\""
        << (kCodes[c] ? std::to_string(kCodes[c]) : std::string("other")) << "\"} " << v << "\n";
    }
  o << "# HELP seqrec_http_request_duration_seconds Time from the request headers to the queued response.\n"
       "# TYPE seqrec_http_request_duration_seconds histogram\n";
  for (size_t r = 0; r < labels_.size(); ++r) {
    const PerRoute& p = routes_[r];
    uint64_t cum = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) cum += p.buckets[b].load(std::memory_order_relaxed);
    if (cum == 0) continue;
    const std::string& label = labels_[r];
    cum = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      cum += p.buckets[b].load(std::memory_order_relaxed);
      char le[32];
      std::snprintf(le, sizeof le, "%g", kBuckets[b]);
      o << "seqrec_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"" << le << "\"} " << cum << "\n";
    }
    cum += p.buckets[kBuckets.size()].load(std::memory_order_relaxed);
    o << "seqrec_http_request_duration_seconds_bucket{route=\"" << label << "\",le=\"+Inf\"} " << cum << "\n";
    o << "seqrec_http_request_duration_seconds_sum{route=\"" << label << "\"} "
      << double(p.sum_us.load(std::memory_order_relaxed)) / 1e6 << "\n";
    o << "seqrec_http_request_duration_seconds_count{route=\"" << label << "\"} " << cum << "\n";
  }
  o << "# HELP seqrec_http_requests_in_flight Requests being received or answered now.\n"
       "# TYPE seqrec_http_requests_in_flight gauge\n"
       "seqrec_http_requests_in_flight "
    << in_flight.load(std::memory_order_relaxed) << "\n";
  o << "# HELP seqrec_http_requests_aborted_total Requests whose client went away before the answer.\n"
       "# TYPE seqrec_http_requests_aborted_total counter\n"
       "seqrec_http_requests_aborted_total "
    << aborted.load(std::memory_order_relaxed) << "\n";
  return o.str();
}

}  // namespace seqrec
