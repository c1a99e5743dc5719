#include "config/run_flags.h"

#include <algorithm>
#include <chrono>

namespace sg {

namespace {

// The checks LoadConfig makes across keys, repeated here because a flag
// may break one the file kept.
Status Revalidate(const Config& c) {
  const auto max_age = std::chrono::seconds(c.cookies.max_age_seconds);
  if (c.secrets.rotation.interval <= max_age)
    return Error("--cookie-max-age " + std::to_string(c.cookies.max_age_seconds) +
                 " s must stay below the secret rotation interval (" +
                 std::to_string(c.secrets.rotation.interval.count()) + " s)");
  if (c.secrets.source == SecretsConfig::Source::kKeyFile &&
      c.handoff == HandoffMode::kKernelCookie)
    return Error(
        "--handoff kernel-cookie cannot use the config's fleet key file (the kernel's own "
        "syncookie secrets are used)");
  for (size_t i = 0; i < c.interfaces.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (c.interfaces[i] == c.interfaces[j])
        return Error("interface " + c.interfaces[i] + " is given twice");
    }
  }
  for (size_t i = 0; i < c.ports.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (c.ports[i].port == c.ports[j].port)
        return Error("port " + std::to_string(c.ports[i].port) + " is given twice");
    }
  }
  if (c.ports.size() > SG_MAX_PROTECTED_PORTS)
    return Error("at most " + std::to_string(SG_MAX_PROTECTED_PORTS) + " ports");
  return Ok();
}

}  // namespace

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
    const std::chrono::seconds grace((*f.cookie_max_age * 3 + 1) / 2);
    if (!from_file || c.secrets.rotation.grace < std::chrono::seconds(*f.cookie_max_age))
      c.secrets.rotation.grace = std::min(grace, c.secrets.rotation.interval);
  }
  if (f.ttl) c.cookies.ttl = *f.ttl;
  if (f.pin_dir) {
    if (f.pin_dir->empty() || f.pin_dir->front() != '/')
      return Error("--pin-dir must be an absolute path (got '" + *f.pin_dir + "')");
    c.pin_dir = *f.pin_dir;
  }
  if (Status s = Revalidate(c); !s) return s.take_error();
  return c;
}

Result<Config> ResolveRunConfig(const RunFlags& f) {
  if (f.config_file.empty()) return MergeRunFlags(std::nullopt, f);
  Result<Config> file = LoadConfig(f.config_file);
  if (!file) return file.take_error();
  return MergeRunFlags(std::move(*file), f);
}

}  // namespace sg
