// Interfaces that go away while attached, and come back. Deleting a network
// device takes its XDP program and TC filter with it: the XDP link stays
// open but runs nowhere, and the clsact qdisc is gone. A device re-created
// under the same name is a new one (a new ifindex), bare. Each tick samples
// every interface (service/interface_watch.h decides what it means), and
// on_interface_loss says what a loss does:
//   wait  one line; the maps (ports, secrets, counters) stay and the other
//         interfaces are untouched. When the name is back: the cookie config
//         again (the new device's MTU sets the MSS), TC and XDP attached with
//         the same programs and maps (so cookies issued before still
//         validate), the link pinned anew, the self-test, one line.
//   exit  one line, then a stop as on SIGTERM with exit code 3.
#include <spdlog/spdlog.h>

#include <string>

#include "service/daemon.h"

namespace sg {

namespace {

// What happened, for the one line a loss gets.
std::string LossLine(const std::string& name, uint32_t gone, uint32_t now) {
  const std::string what = "interface " + name + " (ifindex " + std::to_string(gone) + ")";
  if (now == gone) return what + ": synguard's XDP program was detached from it by something else";
  if (now == 0) return what + " is gone; its XDP program went with it";
  return what + " is gone (the name is back already, as ifindex " + std::to_string(now) +
         "); its XDP program went with it";
}

}  // namespace

void Daemon::WatchInterfaces(uint64_t now_ns) {
  bool changed = false;
  for (auto& ptr : interfaces_) {
    ProtectedInterface& i = *ptr;
    const LinkSample sample = i.Sample();
    InterfaceWatch::Action action = i.watch().Update(sample, now_ns);
    if (action == InterfaceWatch::Action::kLost) {
      changed = true;
      const uint32_t gone = i.watch().lost_ifindex();
      i.Lost(sample);
      const std::string line = LossLine(i.name(), gone, sample.ifindex);
      if (config_.on_interface_loss == OnInterfaceLoss::kExit) {
        spdlog::error("{}; on_interface_loss is exit: stopping with exit code {}", line,
                      kExitInterfaceLost);
        exit_code_ = kExitInterfaceLost;
        return;
      }
      spdlog::warn("{}; {}", line,
                   sample.ifindex == 0 ? "waiting for it to come back" : "attaching again");
      // A device that is back already is attached in this tick.
      action = i.watch().Update(sample, now_ns);
    }
    if (action == InterfaceWatch::Action::kReattach && Reattach(i, sample.ifindex, now_ns))
      changed = true;
  }
  if (!changed) return;
  // The lost interfaces' qdiscs went with them; a re-attach made new ones.
  RecordTcHooks();
  RefreshSnapshot();
  WriteState();
  notifier_.Status(StatusLine());
}

bool Daemon::Reattach(ProtectedInterface& i, uint32_t ifindex, uint64_t now_ns) {
  Status s = i.WriteCookies(config_.cookies);
  if (s) s = i.Attach(config_.xdp_mode);
  if (s && !RunSelfTests(&i)) {
    s = Error("the self-test failed");
    snapshot_->Update([&](MetricsSnapshot& m) { m.self_test_ok = self_test_ok_; });
  }
  if (!s) {
    // Whatever half attached comes off again; the maps stay.
    i.datapath().Detach();
    const uint64_t wait_ns = i.watch().AttemptFailed(now_ns);
    spdlog::error(
        "interface {} is back (ifindex {}), but protecting it failed: {}; next try in {} s",
        i.name(), ifindex, s.error().message(), wait_ns / 1000000000ull);
    return false;
  }
  spdlog::info("interface {} is back (ifindex {}): protection re-attached (xdp {} mode{})",
               i.name(), i.datapath().ifindex(), ToString(i.datapath().attached_mode()),
               handoff_ == HandoffMode::kReqsk ? ", TC handoff" : "");
  if (i.datapath().fell_back())
    spdlog::warn(
        "XDP native mode refused on {} ({}); running in skb (generic) mode, which is "
        "slower: check the driver's XDP support",
        i.name(), i.datapath().fallback_reason());
  return true;
}

}  // namespace sg
