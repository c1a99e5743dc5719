#include "config/validate.h"

#include <algorithm>

namespace sg {

namespace {

using std::chrono::seconds;

std::string Item(const char* list, size_t i) {
  return std::string(list) + "[" + std::to_string(i) + "]";
}

std::string Seconds(seconds s) { return std::to_string(s.count()) + " s"; }

std::optional<ConfigFault> Interfaces(const Config& c) {
  if (c.interfaces.empty())
    return ConfigFault{"interfaces", "must name at least one interface", ""};
  for (size_t i = 0; i < c.interfaces.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (c.interfaces[i] == c.interfaces[j])
        return ConfigFault{Item("interfaces", i),
                           c.interfaces[i] + " is already listed at " + Item("interfaces", j),
                           Item("interfaces", j)};
    }
  }
  return std::nullopt;
}

std::optional<ConfigFault> Ports(const Config& c) {
  if (c.ports.empty()) return ConfigFault{"ports", "must name at least one port", ""};
  for (size_t i = 0; i < c.ports.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (c.ports[i].port == c.ports[j].port)
        return ConfigFault{
            Item("ports", i) + ".port",
            "port " + std::to_string(c.ports[i].port) + " is already listed at " + Item("ports", j),
            Item("ports", j)};
    }
  }
  if (c.ports.size() > SG_MAX_PROTECTED_PORTS)
    return ConfigFault{"ports",
                       "at most " + std::to_string(SG_MAX_PROTECTED_PORTS) + " ports (got " +
                           std::to_string(c.ports.size()) + ")",
                       ""};
  return std::nullopt;
}

std::optional<ConfigFault> Secrets(const Config& c) {
  if (c.secrets.source == SecretsSource::kKeyFile && c.handoff == HandoffMode::kKernelCookie)
    return ConfigFault{"secrets.source",
                       "a fleet key has no effect with handoff: kernel-cookie, which uses the "
                       "kernel's own syncookie secrets",
                       ""};
  // A cookie made just before a rotation must outlive it: the interval
  // exceeds the cookie's age, and the old key lives on for at least that.
  const seconds max_age(c.cookies.max_age_seconds);
  const RotationSchedule& r = c.secrets.rotation;
  if (r.interval <= max_age)
    return ConfigFault{"secrets.rotation_interval",
                       "the rotation interval (" + Seconds(r.interval) +
                           ") must exceed the cookie max age (" + Seconds(max_age) + ")",
                       ""};
  if (r.grace < max_age)
    return ConfigFault{"secrets.grace",
                       "must be at least the cookie max age (" + Seconds(max_age) +
                           "), or handshakes in flight fail at a rotation (got " +
                           Seconds(r.grace) + ")",
                       ""};
  if (r.grace > r.interval)
    return ConfigFault{"secrets.grace",
                       "must not exceed rotation_interval (" + Seconds(r.interval) +
                           "): the next rotation reuses the old key's slot (got " +
                           Seconds(r.grace) + ")",
                       ""};
  return std::nullopt;
}

}  // namespace

std::optional<ConfigFault> Validate(const Config& c) {
  for (auto rule : {Interfaces, Ports, Secrets}) {
    if (std::optional<ConfigFault> f = rule(c)) return f;
  }
  return std::nullopt;
}

seconds DefaultGrace(seconds max_age, seconds interval) {
  return std::min(seconds((max_age.count() * 3 + 1) / 2), interval);
}

}  // namespace sg
