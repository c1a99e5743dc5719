#include "metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace sg {

namespace {

prometheus::MetricFamily Gauge(const std::string& name, const std::string& help, double v,
                               prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::MetricFamily f{name, help, type, {}};
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter)
    m.counter.value = v;
  else
    m.gauge.value = v;
  f.metric.push_back(m);
  return f;
}

double BootTimeSeconds(const std::string& proc_root) {
  std::ifstream in(proc_root + "/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

std::vector<prometheus::MetricFamily> CollectProcessMetrics(const std::string& proc_self,
                                                            const std::string& proc_root) {
  std::vector<prometheus::MetricFamily> out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));

  // /proc/self/stat: the command may hold spaces; fields resume after ')'.
  std::ifstream stat(proc_self + "/stat");
  std::string line;
  if (std::getline(stat, line)) {
    auto close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream rest(line.substr(close + 2));
      std::vector<std::string> f;
      for (std::string w; rest >> w;) f.push_back(w);
      // After ')': state is field 3, so field N is f[N - 3].
      if (f.size() > 21) {
        double utime = std::stod(f[14 - 3]), stime = std::stod(f[15 - 3]);
        double start = std::stod(f[22 - 3]);
        double vsize = std::stod(f[23 - 3]), rss = std::stod(f[24 - 3]);
        out.push_back(Gauge("process_cpu_seconds_total",
                            "User and system CPU time spent in seconds.", (utime + stime) / ticks,
                            prometheus::MetricType::Counter));
        out.push_back(
            Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", vsize));
        out.push_back(
            Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", rss * page));
        double btime = BootTimeSeconds(proc_root);
        if (btime > 0)
          out.push_back(Gauge("process_start_time_seconds",
                              "Start time of the process since unix epoch in seconds.",
                              btime + start / ticks));
      }
    }
  }
  int fds = 0;
  if (DIR* d = opendir((proc_self + "/fd").c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++fds;
    closedir(d);
    out.push_back(Gauge("process_open_fds", "Number of open file descriptors.", fds));
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
    out.push_back(Gauge("process_max_fds", "Maximum number of open file descriptors.",
                        static_cast<double>(rl.rlim_cur)));
  return out;
}

}  // namespace sg
