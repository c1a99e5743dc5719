#include "metrics/exporter.h"

#include <exception>
#include <string>
#include <vector>

namespace sg {

Result<std::unique_ptr<MetricsExporter>> MetricsExporter::Start(
    const std::string& listen, std::shared_ptr<SynguardCollector> c) {
  std::unique_ptr<MetricsExporter> e(new MetricsExporter());
  // civetweb serves one connection per worker thread, and a worker reading
  // a request waits up to request_timeout_ms (30 s by default) for it. With
  // one worker, a single client that sends half a request held every
  // scrape for 30 s. Now: kWorkers workers, and a worker gives up on a
  // request that has not arrived (or a response not taken) within
  // kRequestTimeoutMs. A scrape waits for no one while fewer than
  // kWorkers - 1 slow clients hold connections; beyond that (a local user
  // opening many), it waits at most kRequestTimeoutMs per round of them,
  // still within Prometheus's default 10 s scrape timeout for a few rounds.
  // Keep-alive stays off: a worker is never parked on an idle connection.
  // clang-format off: name, value pairs.
  const std::vector<std::string> options = {
      "listening_ports",    listen,
      "num_threads",        std::to_string(kWorkers),
      "request_timeout_ms", std::to_string(kRequestTimeoutMs),
      "enable_keep_alive",  "no",
      // A full accept queue makes the listener wait, not drop: bounded.
      "connection_queue",   "64",
  };
  // clang-format on
  try {
    e->exposer_ = std::make_unique<prometheus::Exposer>(options);
  } catch (const std::exception& ex) {
    return Error("serve metrics on " + listen +
                 ": cannot listen there (address in use, or not an address of this host)");
  }
  e->collector_ = std::move(c);
  e->exposer_->RegisterCollectable(e->collector_);
  return e;
}

int MetricsExporter::port() const {
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace sg
