#include "metrics/exporter.h"

#include <exception>

namespace sg {

Result<std::unique_ptr<MetricsExporter>> MetricsExporter::Start(
    const std::string& listen, std::shared_ptr<SynguardCollector> c) {
  std::unique_ptr<MetricsExporter> e(new MetricsExporter());
  try {
    // One worker thread is plenty for a scrape every few seconds.
    e->exposer_ = std::make_unique<prometheus::Exposer>(listen, 1);
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
