// The standard process_* metrics (CPU, memory, fds, start time) from /proc,
// as the official client libraries export them; prometheus-cpp has none.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace sg {

// proc_self: "/proc/self" normally; a fixture directory in tests.
std::vector<prometheus::MetricFamily> CollectProcessMetrics(const std::string& proc_self,
                                                            const std::string& proc_root);

}  // namespace sg
