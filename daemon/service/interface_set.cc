// Interfaces that go away while attached, and come back. Deleting a network
// device takes its XDP program and TC filter with it: the XDP link stays
// open but runs nowhere, and the clsact qdisc is gone. A device re-created
// under the same name is a new one (a new ifindex), bare. Each tick samples
// every interface (control/interface_watch.h decides what it means), and
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
// (control/tc_filter_watch.h decides) and attaches it again at once: one
// warn line and synguard_tc_filter_repairs_total; a qdisc it had to create
// is recorded as ours to remove at stop. A failed repair is one error line,
// retried with the interface watch's backoff. While the filter stays gone
// (a repair failing, or waiting out a fight), the interface's ports are
// disengaged: the kernel answers SYNs, which beats answering them with
// cookies whose ACKs it resets; engaged again once the filter is back.
//
// Both run at each tick and, through the rtnetlink socket in Loop()
// (system/rtnl_events.h), within milliseconds of the kernel's event.
#include "service/interface_set.h"

#include <net/if.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "selftest/self_test.h"
#include "service/exit_codes.h"
#include "system/bpffs.h"

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

// The explanation an attach failure needs to be acted on.
Error ExplainAttachFailure(Error e, const ProtectedInterface& i, XdpMode mode) {
  // Found by the chaos soak: a synguard killed after an nsenter start
  // leaves its link pinned in the host's bpffs, which a start with
  // `ip netns exec` (a private /sys) cannot see or take over.
  if (e.err() == EEXIST)
    e.Context("another XDP program is attached to " + i.name() +
              " (a crashed synguard's, pinned in a bpffs this process cannot see? "
              "start synguard with `nsenter --net=/run/netns/NAME` to take it over "
              "without a gap, or run `synguard cleanup` there first)");
  if (mode == XdpMode::kNative && e.err() == EOPNOTSUPP)
    return Error("xdp_mode native: the driver of " + i.name() + " cannot run XDP natively (" +
                     e.message() + "); use xdp_mode auto (native where it can, else skb) or skb",
                 EOPNOTSUPP);
  return e;
}

void WarnReplacedMaps(const ProtectedInterface& i, const std::string& pin_dir) {
  if (i.datapath().replaced_maps().empty()) return;
  std::string names;
  for (const std::string& n : i.datapath().replaced_maps())
    names += (names.empty() ? "" : ", ") + n;
  spdlog::warn(
      "{}: maps pinned under {} by another synguard version ({}) do not fit this one: made "
      "anew (their counters start from zero; with sg_secrets_map, cookies sent in the last "
      "seconds fail and those clients retry)",
      i.name(), pin_dir, names);
}

// The port a probe SYN can go to (engage: always), and a host IPv4 address.
const PortConfig* ProbePort(const Config& cfg) {
  for (const PortConfig& p : cfg.ports)
    if (p.engage == EngageMode::kAlways) return &p;
  return nullptr;
}

uint32_t ProbeAddress(const LocalAddressEntries& local) {
  for (const auto& [addr, kind] : local.v4)
    if (kind == SG_ADDR_LOCAL) return addr;
  return 0;
}

// One interface's self-test, logged; false on a fault.
bool SelfTestOne(ProtectedInterface& i, uint16_t port, uint32_t server_addr) {
  SelfTestOptions probe{.prog_fd = i.datapath().xdp_prog_fd(),
                        .port = port,
                        .server_addr = server_addr,
                        .counters_fd = i.datapath().counters_fd()};
  if (Result<sg_iface> id = i.datapath().ReadInterface(); id)
    std::copy(std::begin(id->mac), std::end(id->mac), probe.mac.begin());
  Result<SelfTestResult> st = RunSelfTest(probe);
  if (!st) {
    spdlog::error("self-test on {}: {}", i.name(), st.error().message());
    return false;
  }
  if (st->answered && st->ack_accepted) {
    spdlog::info(
        "self-test passed on {}: a probe SYN got a correct SYN+ACK and its cookie "
        "validated",
        i.name());
    return true;
  }
  if (st->no_listener) {
    // No listener, no handshake to answer (the kernel resets it, as it
    // must): nothing to test yet, not a fault.
    spdlog::warn("self-test on {}: {}", i.name(), st->detail);
    return true;
  }
  spdlog::error("self-test failed on {}: {}", i.name(), st->detail);
  return false;
}

// Native mode refused and skb taken instead: said after every attach, the
// first and each re-attach.
void WarnIfFellBack(const ProtectedInterface& i) {
  if (i.datapath().fell_back()) spdlog::warn("{}", i.datapath().FallbackWarning(i.name()));
}

// A note after the first attach: took over a pinned link, fell back to skb.
void SayHowAttached(const ProtectedInterface& i) {
  if (i.datapath().took_over_link())
    spdlog::info("{}: took over the pinned XDP link (no gap)", i.name());
  WarnIfFellBack(i);
}

}  // namespace

Status InterfaceSet::ReadLocalAddresses() {
  Result<std::vector<InterfaceAddress>> addresses = DumpInterfaceAddresses();
  if (!addresses) return addresses.take_error();
  local_addresses_ = BuildLocalAddressEntries(*addresses);
  return Ok();
}

Result<std::unique_ptr<ProtectedInterface>> InterfaceSet::Load(const std::string& ifname,
                                                               const Config& cfg,
                                                               const SlotMap& slots,
                                                               const PortRuntimes& ports,
                                                               const sg_secrets* secrets) {
  std::string pin_dir = pin_root_.empty() ? "" : pin_root_ + "/" + ifname;
  if (!pin_dir.empty()) {
    if (Status s = MakeDirs(pin_dir); !s) return s.take_error();
  }
  Result<std::unique_ptr<ProtectedInterface>> pi =
      ProtectedInterface::Load({.ifname = ifname,
                                .handoff = handoff_,
                                .pin_dir = pin_dir,
                                .sysctl_root = sysctl_root_,
                                .pin_link = cfg.on_crash == OnCrash::kKeepProtecting});
  if (!pi) {
    if (!pin_dir.empty()) rmdir(pin_dir.c_str());  // made above, and empty
    return pi.take_error();
  }
  ProtectedInterface& i = **pi;
  if (i.datapath().reused_maps())
    spdlog::info("{}: reusing the maps pinned under {}", ifname, pin_dir);
  WarnReplacedMaps(i, pin_dir);
  if (Status s = Fill(i, cfg, slots, ports, secrets); !s) {
    // Nothing of it is in force yet: unpinned again. Maps a previous run
    // left pinned stay: its link may still run on them.
    if (!i.datapath().reused_maps()) {
      i.datapath().Unpin();
      if (!pin_dir.empty()) rmdir(pin_dir.c_str());
    }
    return s.take_error();
  }
  return std::move(*pi);
}

Status InterfaceSet::Fill(ProtectedInterface& i, const Config& cfg, const SlotMap& slots,
                          const PortRuntimes& ports, const sg_secrets* secrets) {
  // After the sysctls: the SYN+ACK offers what the values in force allow.
  if (Status s = i.WriteCookies(cfg.cookies); !s) return s;
  if (Status s = i.WriteLists(BuildListEntries(cfg.allowlist, cfg.denylist)); !s) return s;
  if (Status s = i.WriteLocalAddresses(local_addresses_); !s) return s;
  // Ports a previous run protected but this config does not are cleared.
  const SlotMap previous = i.PreviousPorts();
  std::vector<uint16_t> removed;
  for (const auto& [port, slot] : previous)
    if (!slots.count(port)) removed.push_back(port);
  if (Status s = WritePorts(i, cfg, slots, ports, removed, FreshSlots(previous, slots)); !s)
    return s;
  if (secrets) {
    if (Status s = i.datapath().WriteSecrets(*secrets); !s) return s.take_error().Context(i.name());
  }
  return Ok();
}

bool InterfaceSet::Remove(const std::string& ifname) {
  auto it =
      std::find_if(all_.begin(), all_.end(), [&](const auto& i) { return i->name() == ifname; });
  if (it == all_.end()) return false;
  (*it)->datapath().Detach();
  (*it)->datapath().Unpin();
  all_.erase(it);
  return true;
}

Status InterfaceSet::AttachAll(XdpMode mode) {
  for (auto& i : all_) {
    if (Status s = i->Attach(mode); !s) return ExplainAttachFailure(s.take_error(), *i, mode);
    SayHowAttached(*i);
  }
  return Ok();
}

Status InterfaceSet::PublishSecrets(const sg_secrets& s) {
  for (auto& i : all_) {
    if (Status st = i->datapath().WriteSecrets(s); !st) return st.take_error().Context(i->name());
  }
  return Ok();
}

std::optional<sg_secrets> InterfaceSet::PinnedSecrets() const {
  for (const auto& i : all_) {
    if (!i->datapath().reused_maps()) continue;
    Result<sg_secrets> prev = i->datapath().ReadSecrets();
    if (!prev) continue;
    spdlog::info("taking over the cookie secrets pinned on {}", i->name());
    return *prev;
  }
  return std::nullopt;
}

Status InterfaceSet::WritePorts(ProtectedInterface& i, const Config& cfg, const SlotMap& slots,
                                const PortRuntimes& ports, const std::vector<uint16_t>& removed,
                                const std::vector<uint32_t>& fresh) {
  auto engaged = [&](uint16_t port) { return ports.at(port).engaged; };
  return i.WritePorts(cfg.ports, slots, engaged, fresh, removed);
}

void InterfaceSet::SetEngaged(uint16_t port, bool engaged) {
  for (auto& i : all_) {
    if (Status s = i->SetEngaged(port, engaged); !s) spdlog::error("{}", s.error().message());
  }
}

uint64_t InterfaceSet::SynTotal(uint32_t slot) const {
  uint64_t syn = 0;
  for (const auto& i : all_) {
    if (Result<sg_port_stats> st = i->PortStats(slot); st) syn += st->syn;
  }
  return syn;
}

Status InterfaceSet::PointMetrics(SummedPerCpuMap& counters, SummedPerCpuMap& port_stats,
                                  const std::vector<std::string>& leaving,
                                  const std::vector<ProtectedInterface*>& extra) const {
  std::vector<int> c, p;
  auto add = [&](const ProtectedInterface& i) {
    c.push_back(i.datapath().counters_fd());
    p.push_back(i.datapath().port_stats_fd());
  };
  for (const auto& i : all_)
    if (std::find(leaving.begin(), leaving.end(), i->name()) == leaving.end()) add(*i);
  for (const ProtectedInterface* i : extra) add(*i);
  if (Status s = counters.Set(c); !s) return s;
  return port_stats.Set(p);
}

bool InterfaceSet::RunSelfTests(ProtectedInterface* only) {
  // The probe needs an engaged port; ports in auto or never are not.
  const PortConfig* port = ProbePort(live_.config);
  // The probe goes to one of the host's IPv4 addresses, as a client's SYN
  // must to be answered.
  const uint32_t server_addr = ProbeAddress(local_addresses_);
  if (!port || server_addr == 0) {
    if (only) return true;  // said at start
    spdlog::info("self-test skipped: {}",
                 !port ? "no port has engage: always, so none answers a probe SYN yet"
                       : "the host has no IPv4 address for a probe SYN");
    self_test_ok_ = false;
    return true;
  }
  bool ok = true;
  for (auto& i : all_) {
    if (only && i.get() != only) continue;
    const bool passed = SelfTestOne(*i, port->port, server_addr);
    i->set_self_test_ok(passed);
    ok = ok && passed;
  }
  // Every interface's last result counts: a re-attached interface that now
  // passes clears its own earlier failure, never another's.
  self_test_ok_ = std::all_of(all_.begin(), all_.end(), [](auto& i) { return i->self_test_ok(); });
  return ok;
}

// An address added after the start is unprotected until it is here (its
// SYNs go to the kernel: "destination_not_local"); one removed must stop
// being answered for. Each tick and each rtnetlink event (addresses
// included) dumps the list: a few entries, no parsing of events to get
// wrong.
void InterfaceSet::WatchAddresses() {
  Result<std::vector<InterfaceAddress>> dump = DumpInterfaceAddresses();
  if (!dump) {
    spdlog::warn("{} (the programs keep the last list; retried next second)",
                 dump.error().message());
    return;
  }
  LocalAddressEntries now = BuildLocalAddressEntries(*dump);
  if (now != local_addresses_) {
    bool all = true;
    for (auto& i : all_) {
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
  for (auto& i : all_) {
    if (Status s = i->RefreshMac(); !s) spdlog::debug("{}", s.error().message());
  }
}

bool InterfaceSet::WatchInterfaces(uint64_t now_ns, bool* exit) {
  bool changed = false;
  for (auto& ptr : all_) {
    ProtectedInterface& i = *ptr;
    const LinkSample sample = i.Sample();
    InterfaceWatch::Action action = i.watch().Update(sample, now_ns);
    if (action == InterfaceWatch::Action::kLost) {
      changed = true;
      const uint32_t gone = i.watch().lost_ifindex();
      i.Lost(sample);
      const std::string line = LossLine(i.name(), gone, sample.ifindex);
      if (live_.config.on_interface_loss == OnInterfaceLoss::kExit) {
        spdlog::error("{}; on_interface_loss is exit: stopping with exit code {}", line,
                      kExitInterfaceLost);
        *exit = true;
        return true;
      }
      spdlog::warn("{}; {}", line,
                   sample.ifindex == 0 ? "waiting for it to come back" : "attaching again");
      // A device that is back already is attached in this tick.
      action = i.watch().Update(sample, now_ns);
    }
    if (action == InterfaceWatch::Action::kReattach && Reattach(i, sample.ifindex, now_ns))
      changed = true;
  }
  return changed;
}

bool InterfaceSet::Reattach(ProtectedInterface& i, uint32_t ifindex, uint64_t now_ns) {
  Status s = i.WriteCookies(live_.config.cookies);
  if (s) s = i.Attach(live_.config.xdp_mode);
  if (s && !RunSelfTests(&i)) s = Error("the self-test failed");
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
  WarnIfFellBack(i);
  return true;
}

bool InterfaceSet::WatchTcFilters(uint64_t now_ns) {
  if (handoff_ != HandoffMode::kReqsk) return false;
  bool touched = false;
  for (auto& ptr : all_) {
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
  // A qdisc created by a repair (even one whose attach then failed) is ours
  // to remove at stop, and after a crash: the caller records it.
  return touched;
}

void InterfaceSet::HandoffInPlace(ProtectedInterface& i, bool in_place) {
  if (i.handoff_down() == !in_place) return;
  i.set_handoff_down(!in_place);
  if (Status s = WritePorts(i, live_.config, live_.slots, live_.ports); !s) {
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

void InterfaceSet::RefreshClocks() {
  for (auto& i : all_) {
    if (Status s = i->RefreshClock(); !s) spdlog::warn("{}", s.error().message());
  }
}

bool InterfaceSet::RecordTcHooks(RestoreState& restore) {
  // A qdisc an earlier run created is ours to remove, like one made now.
  // Saved after the qdisc is made: a kill -9 between the two leaves it.
  const std::vector<std::string> previous = restore.clsact;
  restore.clsact.clear();
  for (auto& i : all_) {
    const bool was_ours = std::find(previous.begin(), previous.end(), i->name()) != previous.end();
    if (was_ours) i->datapath().ClaimTcHook();
    // kernel-cookie after a killed reqsk run: its filter has no business here.
    if (Status s = i->datapath().RemoveLeftoverTc(i->name(), was_ours); !s)
      spdlog::warn("{}", s.error().message());
    if (i->datapath().tc_hook_created()) restore.clsact.push_back(i->name());
  }
  return restore.clsact != previous;
}

void InterfaceSet::Stop(bool leave) {
  for (auto& i : all_) {
    if (leave) {
      if (Status s = i->datapath().LeaveAttached(); !s) spdlog::warn("{}", s.error().message());
    } else {
      i->datapath().Detach();
      i->datapath().Unpin();
    }
  }
  // Detached (or left pinned) before the objects close.
  all_.clear();
}

std::string InterfaceSet::Describe() const {
  std::string out;
  for (const auto& i : all_)
    out += (out.empty() ? "" : ", ") + i->name() + " (" +
           (i->missing() ? std::string("missing")
                         : std::string(ToString(i->datapath().attached_mode())) + ", " +
                               ToString(handoff_)) +
           ")";
  return out;
}

}  // namespace sg
