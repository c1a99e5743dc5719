// The order of `synguard run`'s start, as one table: Daemon::Start() runs
// these steps in this order, and tests/unit/start_order_test.cc checks every
// constraint below against it. Each constraint says why: they used to live
// only in comments, where a reordering broke them silently.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace sg {

enum class StartStep {
  kSignals,          // SIGTERM/SIGINT/SIGHUP into a signalfd
  kHandoff,          // the handoff mode the kernel allows; fallbacks said once
  kSecretSource,     // the key file read (or the random source)
  kInterfacesExist,  // every configured interface is there
  kInstanceLock,     // one synguard per network namespace
  kMetrics,          // the metrics endpoint bound
  kPins,             // the pin root, stale pins pruned, state file paths
  kSysctls,          // the restore record adopted, the sysctls set
  kAddresses,        // the ports' runtime and the host's addresses
  kLoad,             // every interface's programs loaded and maps filled
  kSecrets,          // the cookie secrets published (or taken over)
  kEvents,           // the rtnetlink socket
  kAttach,           // TC then XDP on every interface; the crash promise said
  kSelfTest,         // a probe SYN through every attached program
  kListenerWatch,    // the sock_diag listener scans
  kMetricsMaps,      // the metrics read every interface's counters
  kReady,            // state file, snapshot, READY=1
};

inline constexpr std::array kStartOrder = {
    StartStep::kSignals,       StartStep::kHandoff,
    StartStep::kSecretSource,  StartStep::kInterfacesExist,
    StartStep::kInstanceLock,  StartStep::kMetrics,
    StartStep::kPins,          StartStep::kSysctls,
    StartStep::kAddresses,     StartStep::kLoad,
    StartStep::kSecrets,       StartStep::kEvents,
    StartStep::kAttach,        StartStep::kSelfTest,
    StartStep::kListenerWatch, StartStep::kMetricsMaps,
    StartStep::kReady,
};

struct StartConstraint {
  StartStep first;
  StartStep then;
  std::string_view why;
};

inline constexpr std::array kStartConstraints = {
    StartConstraint{StartStep::kSignals, StartStep::kMetrics,
                    "a SIGTERM during the start must reach the loop, not kill the process "
                    "half-started"},
    StartConstraint{StartStep::kHandoff, StartStep::kInstanceLock,
                    "a handoff the kernel cannot do is a bad config (exit 2): refused before "
                    "anything changes"},
    StartConstraint{StartStep::kSecretSource, StartStep::kInstanceLock,
                    "an unreadable key file is a bad config (exit 2): refused before anything "
                    "changes"},
    StartConstraint{StartStep::kInterfacesExist, StartStep::kInstanceLock,
                    "a missing interface is a bad config (exit 2): refused before anything "
                    "changes (metrics, pins, sysctls)"},
    StartConstraint{StartStep::kInstanceLock, StartStep::kMetrics,
                    "a second synguard here, or one started while `synguard cleanup` runs, "
                    "must not touch the first one's pins and sysctls"},
    StartConstraint{StartStep::kMetrics, StartStep::kPins,
                    "a metrics port in use fails the start before anything changes"},
    StartConstraint{StartStep::kPins, StartStep::kSysctls,
                    "the tuner's journal writes the restore record, whose path the pin step "
                    "finds"},
    StartConstraint{StartStep::kHandoff, StartStep::kSysctls,
                    "the sysctls depend on the handoff (tcp_syncookies)"},
    StartConstraint{StartStep::kSysctls, StartStep::kLoad,
                    "the SYN+ACK offers only the options the sysctls in force allow"},
    StartConstraint{StartStep::kAddresses, StartStep::kLoad,
                    "a SYN is answered only to the host's addresses: written before any program "
                    "loads"},
    StartConstraint{StartStep::kLoad, StartStep::kSecrets,
                    "keys a previous run left in pinned maps are taken over, not replaced"},
    StartConstraint{StartStep::kSecrets, StartStep::kAttach,
                    "no SYN may be answered with a zero key"},
    StartConstraint{StartStep::kEvents, StartStep::kAttach,
                    "no interface or TC change after the attach goes unseen"},
    StartConstraint{StartStep::kAttach, StartStep::kSelfTest,
                    "the probe runs the attached programs' maps"},
    StartConstraint{StartStep::kLoad, StartStep::kMetricsMaps,
                    "the metrics read the loaded interfaces' counters"},
    StartConstraint{StartStep::kSelfTest, StartStep::kReady,
                    "READY=1 and the log line tests wait for mean the programs answer "
                    "correctly"},
    StartConstraint{StartStep::kMetricsMaps, StartStep::kReady,
                    "a scrape after READY=1 reads every interface"},
};

// Position of a step in kStartOrder (kStartOrder.size() if absent).
constexpr size_t StartPosition(StartStep s) {
  for (size_t i = 0; i < kStartOrder.size(); ++i)
    if (kStartOrder[i] == s) return i;
  return kStartOrder.size();
}

// Every constraint holds; checked at compile time as well as by the test.
constexpr bool StartOrderHolds() {
  for (const StartConstraint& c : kStartConstraints)
    if (StartPosition(c.first) >= StartPosition(c.then)) return false;
  return true;
}
static_assert(StartOrderHolds(), "kStartOrder breaks one of kStartConstraints");

}  // namespace sg
