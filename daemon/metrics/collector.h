// synguard's Prometheus collector: reads the per-CPU BPF counters at scrape
// time (no polling thread) and the daemon's snapshot. A failed BPF read is
// counted in synguard_scrape_errors_total and the BPF-derived families are
// left out of that scrape entirely, never half-filled.
#pragma once

#include <utility>

#include <prometheus/collectable.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "metrics/per_cpu_map.h"
#include "metrics/snapshot.h"

namespace sg {

struct CollectorSources {
  std::shared_ptr<const PerCpuMap> reasons;     // sg_counters_map: one u64 per enum sg_reason
  std::shared_ptr<const PerCpuMap> port_stats;  // sg_port_stats_map: struct sg_port_stats
  std::function<MetricsSnapshot()> snapshot;
  std::string proc_self = "/proc/self";
  std::string proc_root = "/proc";
  std::string version;
  // Kernel features probed at start (datapath/probe.h FeatureRows): name, available.
  std::vector<std::pair<std::string, bool>> kernel_features;
};

class SynguardCollector : public prometheus::Collectable {
 public:
  explicit SynguardCollector(CollectorSources sources) : src_(std::move(sources)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;
  uint64_t scrape_errors() const { return scrape_errors_.load(); }

 private:
  // False (and nothing appended) when a BPF read failed.
  bool CollectBpf(const MetricsSnapshot& snap, std::vector<prometheus::MetricFamily>& out) const;

  CollectorSources src_;
  mutable std::atomic<uint64_t> scrape_errors_{0};
};

}  // namespace sg
