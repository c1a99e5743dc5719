// The HTTP endpoint Prometheus scrapes (prometheus-cpp's civetweb Exposer),
// with its start-up failure turned into an error the operator can read.
#pragma once

#include <prometheus/exposer.h>

#include <memory>
#include <string>

#include "metrics/collector.h"
#include "util/result.h"

namespace sg {

class MetricsExporter {
 public:
  // listen: "ADDR:PORT" ("[::1]:9479" for IPv6).
  static Result<std::unique_ptr<MetricsExporter>> Start(const std::string& listen,
                                                        std::shared_ptr<SynguardCollector> c);
  int port() const;

  // Worker threads, and how long one waits for a request to arrive (or a
  // response to be taken) before it drops the connection.
  static constexpr int kWorkers = 8;
  static constexpr int kRequestTimeoutMs = 1000;

 private:
  MetricsExporter() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<SynguardCollector> collector_;
};

}  // namespace sg
