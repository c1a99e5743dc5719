// Latency summaries for the test and benchmark clients.
#pragma once

#include <vector>

namespace sgtest {

// The q-quantile (0..1) of v by nearest rank; 0 for an empty v.
double Percentile(std::vector<double> v, double q);

}  // namespace sgtest
