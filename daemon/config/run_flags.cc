#include "config/run_flags.h"

#include <chrono>

#include "config/validate.h"

namespace sg {

Result<Config> MergeRunFlags(std::optional<Config> file, const RunFlags& f) {
  const bool from_file = file.has_value();
  Config c = from_file ? std::move(*file) : Config{};
  if (!from_file) {
    if (f.interfaces.empty()) return Error("run: give -c FILE, or -i IFACE and -p PORT");
    if (f.ports.empty()) return Error("run: give -c FILE, or -p PORT with -i IFACE");
    c.source = "command line";
    // The config's defaults, sysctl profile included: `run -i IF -p PORT`
    // tunes what a file with the same ports tunes (deploy/synguard.yaml
    // documents those values as the defaults), not a smaller set.
  }
  if (!f.interfaces.empty()) c.interfaces = f.interfaces;
  if (!f.ports.empty()) {
    // -p replaces the file's ports; they engage as --engage says (always
    // by default, as in flag mode).
    DetectorThresholds t = c.ports.empty() ? DetectorThresholds{} : c.ports.front().thresholds;
    c.ports.clear();
    for (uint16_t p : f.ports)
      c.ports.push_back(
          {.port = p, .engage = f.engage.value_or(EngageMode::kAlways), .thresholds = t});
  } else if (f.engage) {
    for (PortConfig& p : c.ports) p.engage = *f.engage;
  }
  if (f.handoff) c.handoff = *f.handoff;
  if (f.xdp_mode) c.xdp_mode = *f.xdp_mode;
  if (f.metrics_listen) {
    Result<ListenAddress> a = ParseListenAddress(*f.metrics_listen);
    if (!a) return a.take_error().Context("--metrics-listen");
    c.metrics_listen = *a;
  }
  if (f.cookie_max_age) {
    c.cookies.max_age_seconds = *f.cookie_max_age;
    // The old key must outlive every cookie made with it: stretch the grace
    // as the config's default does (1.5 x max age), within the interval.
    const std::chrono::seconds max_age(*f.cookie_max_age);
    if (!from_file || c.secrets.rotation.grace < max_age)
      c.secrets.rotation.grace = DefaultGrace(max_age, c.secrets.rotation.interval);
  }
  if (f.ttl) c.cookies.ttl = *f.ttl;
  if (f.pin_dir) {
    if (f.pin_dir->empty() || f.pin_dir->front() != '/')
      return Error("--pin-dir must be an absolute path (got '" + *f.pin_dir + "')");
    c.pin_dir = *f.pin_dir;
  }
  // The file's rules across keys hold after the flags too.
  if (std::optional<ConfigFault> fault = Validate(c))
    return Error((from_file ? c.source + " with the command-line flags" : c.source) + ": " +
                 fault->key + ": " + fault->problem);
  return c;
}

Result<Config> ResolveRunConfig(const RunFlags& f) {
  if (f.config_file.empty()) return MergeRunFlags(std::nullopt, f);
  Result<Config> file = LoadConfig(f.config_file);
  if (!file) return file.take_error();
  return MergeRunFlags(std::move(*file), f);
}

}  // namespace sg
