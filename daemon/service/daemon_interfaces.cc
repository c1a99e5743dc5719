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
//
// TC filters that go while their interface stays (reqsk): a filter on a
// clsact qdisc is not a link, and `tc qdisc del dev X clsact`, `tc filter
// del dev X ingress` or a network manager resetting tc removes it. XDP then
// keeps answering SYNs with cookies and every returning ACK is reset by the
// kernel. Each check samples the filter on every attached interface
// (service/tc_filter_watch.h decides) and attaches it again at once: one
// warn line and synguard_tc_filter_repairs_total; a qdisc it had to create
// is recorded as ours to remove at stop. A failed repair is one error line,
// retried with the interface watch's backoff. While the filter stays gone
// (a repair failing, or waiting out a fight), the interface's ports are
// disengaged: the kernel answers SYNs, which beats answering them with
// cookies whose ACKs it resets; engaged again once the filter is back.
//
// Both run at each tick and, through the rtnetlink socket in Loop()
// (service/rtnl_events.h), within milliseconds of the kernel's event.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
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

void Daemon::WatchAttachments(uint64_t now_ns) {
  // Interfaces first: a device that went takes its filter with it, and is
  // not a filter to repair.
  WatchInterfaces(now_ns);
  if (exit_code_) return;
  WatchTcFilters(now_ns);
  WatchAddresses();
}

// An address added after the start is unprotected until it is here (its
// SYNs go to the kernel: "destination_not_local"); one removed must stop
// being answered for. Each tick and each rtnetlink event (addresses
// included) dumps the list: a few entries, no parsing of events to get
// wrong.
void Daemon::WatchAddresses() {
  Result<std::vector<InterfaceAddress>> dump = DumpInterfaceAddresses();
  if (!dump) {
    spdlog::warn("{} (the programs keep the last list; retried next second)",
                 dump.error().message());
    return;
  }
  LocalAddressEntries now = BuildLocalAddressEntries(*dump);
  if (now != local_addresses_) {
    bool all = true;
    for (auto& i : interfaces_) {
      if (Status s = i->WriteLocalAddresses(now); !s) {
        spdlog::warn("{} (retried next second)", s.error().message());
        all = false;
      }
    }
    if (all) {
      spdlog::info("the host's addresses changed: answering SYNs to {} IPv4 and {} IPv6 addresses",
                   std::count_if(now.v4.begin(), now.v4.end(),
                                 [](const auto& e) { return e.second == SG_ADDR_LOCAL; }),
                   now.v6.size());
      local_addresses_ = std::move(now);
    }
  }
  for (auto& i : interfaces_) {
    if (Status s = i->RefreshMac(); !s) spdlog::debug("{}", s.error().message());
  }
}

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
  if (i.datapath().fell_back()) spdlog::warn("{}", i.datapath().FallbackWarning(i.name()));
  return true;
}

void Daemon::WatchTcFilters(uint64_t now_ns) {
  if (handoff_ != HandoffMode::kReqsk) return;
  bool touched = false;
  for (auto& ptr : interfaces_) {
    ProtectedInterface& i = *ptr;
    // A missing interface has no filter to keep: the re-attach brings both.
    if (i.missing() || i.datapath().tc_ifindex() == 0) continue;
    const bool was_unknown = i.tc_watch().unknown();
    const TcSample found = i.SampleTc();
    const TcFilterWatch::Action action = i.tc_watch().Update(found, now_ns);
    // ENODEV: the device is going; the interface watch says so next.
    if (found.state == TcSample::State::kUnknown) {
      if (!was_unknown && found.err != ENODEV)
        spdlog::warn("{}; checking again at the next tick", TcFindingText(i.name(), found));
      continue;
    }
    if (action != TcFilterWatch::Action::kRepair) {
      // In place, or gone while a fight's or a failure's wait runs.
      HandoffInPlace(i, found.state == TcSample::State::kOurs);
      continue;
    }
    touched = true;
    Result<bool> created = i.RepairTc();
    if (!created) {
      const uint64_t wait_ns = i.tc_watch().AttemptFailed(now_ns);
      spdlog::error("{}, and attaching it again failed: {}; next try in {} s",
                    TcFindingText(i.name(), found), created.error().message(),
                    wait_ns / 1000000000ull);
      HandoffInPlace(i, false);
      continue;
    }
    HandoffInPlace(i, true);
    const uint64_t hold_ns = i.tc_watch().Repaired(now_ns);
    spdlog::warn("{}", TcRepairLine(i.name(), found, *created));
    if (hold_ns > 0)
      spdlog::warn(
          "synguard's TC filter on {} was removed {} times in a row, each within {} s of the "
          "last: something keeps removing it (a network manager that owns tc on {}?); the next "
          "repair waits {} s",
          i.name(), i.tc_watch().quick_repairs(), TcFilterWatch::kFightWindowNs / 1000000000ull,
          i.name(), hold_ns / 1000000000ull);
  }
  if (!touched) return;
  // A qdisc created by a repair (even one whose attach then failed) is ours
  // to remove at stop, and after a crash.
  RecordTcHooks();
  RefreshSnapshot();
}

void Daemon::HandoffInPlace(ProtectedInterface& i, bool in_place) {
  if (i.handoff_down() == !in_place) return;
  i.set_handoff_down(!in_place);
  if (Status s = WritePortsTo(i); !s) {
    // Flag and map in step again: the next check tries once more.
    i.set_handoff_down(in_place);
    spdlog::error("{}: the ports on {} keep their previous state; trying again at the next check",
                  s.error().message(), i.name());
    return;
  }
  if (in_place)
    spdlog::info("synguard's TC filter on {} is back: cookies answer SYNs there again", i.name());
  else
    spdlog::warn(
        "without its TC filter, every cookie handshake on {} would be reset: the kernel answers "
        "SYNs there (with its own SYN cookies under a flood) until the filter is back",
        i.name());
}

}  // namespace sg
