#include "cli/status_command.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <cstdio>
#include <ctime>
#include <optional>
#include <vector>

#include "config/modes.h"
#include "datapath/leftovers.h"
#include "datapath/bpf_per_cpu_map.h"
#include "system/bpffs.h"
#include "system/instance_lock.h"
#include "synguard/shared.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/unique_fd.h"

namespace sg {

namespace {

struct PortStatus {
  uint16_t port = 0;
  std::string engage;
  bool protected_ = false;
  bool engaged = false;
  sg_port_stats stats{};
};

struct InterfaceStatus {
  std::string name;
  std::string xdp_mode = "none";  // what the kernel reports now
  bool fell_back = false;
  bool missing = false;  // the daemon lost it and waits for it (state file)
  uint32_t xdp_prog_id = 0;
  uint32_t tc_prog_id = 0;
  std::vector<PortStatus> ports;
  std::vector<uint64_t> reasons;  // by enum sg_reason
  std::string error;              // a pin that could not be read
};

std::vector<std::string> Subdirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != ".." && e->d_type == DT_DIR) out.push_back(n);
  }
  closedir(d);
  return out;
}

UniqueFd Pinned(const std::string& path) { return UniqueFd(bpf_obj_get(path.c_str())); }

void ReadKernelAttach(InterfaceStatus& s) {
  unsigned idx = if_nametoindex(s.name.c_str());
  if (idx == 0) return;
  LIBBPF_OPTS(bpf_xdp_query_opts, q);
  if (bpf_xdp_query(static_cast<int>(idx), 0, &q) == 0) {
    s.xdp_mode = q.attach_mode == XDP_ATTACHED_DRV    ? ToString(XdpMode::kNative)
                 : q.attach_mode == XDP_ATTACHED_SKB  ? ToString(XdpMode::kSkb)
                 : q.attach_mode == XDP_ATTACHED_HW   ? "hw"
                 : q.attach_mode == XDP_ATTACHED_NONE ? "none"
                                                      : "multi";
    s.xdp_prog_id = q.attach_mode == XDP_ATTACHED_SKB ? q.skb_prog_id : q.drv_prog_id;
    if (!s.xdp_prog_id) s.xdp_prog_id = q.prog_id;
  }
  if (Result<uint32_t> id = TcHandoffFilterProgId(static_cast<int>(idx)); id) s.tc_prog_id = *id;
}

InterfaceStatus ReadInterface(const std::string& pin_dir, const std::string& name,
                              const std::vector<PortState>& state_ports) {
  InterfaceStatus s;
  s.name = name;
  ReadKernelAttach(s);
  UniqueFd ports = Pinned(pin_dir + "/sg_ports_map");
  UniqueFd stats = Pinned(pin_dir + "/sg_port_stats_map");
  UniqueFd counters = Pinned(pin_dir + "/sg_counters_map");
  if (!ports.valid() || !stats.valid() || !counters.valid()) {
    s.error = "maps not pinned under " + pin_dir;
    return s;
  }
  std::vector<PortState> wanted = state_ports;
  if (wanted.empty()) {
    // No state file (the daemon left its pins and exited): scan the map.
    for (uint32_t p = 1; p < 65536; ++p) {
      sg_port v{};
      if (bpf_map_lookup_elem(ports.get(), &p, &v) == 0 && (v.flags & SG_PORT_PROTECTED))
        wanted.push_back({static_cast<uint16_t>(p), ""});
    }
  }
  BpfPerCpuMap stats_map(stats.get(), sizeof(sg_port_stats));
  for (const PortState& ps : wanted) {
    PortStatus out;
    out.port = ps.port;
    out.engage = ps.engage;
    uint32_t key = ps.port;
    sg_port v{};
    if (bpf_map_lookup_elem(ports.get(), &key, &v) == 0) {
      out.protected_ = v.flags & SG_PORT_PROTECTED;
      out.engaged = v.flags & SG_PORT_ENGAGED;
      Result<std::vector<uint64_t>> sum = SumAcrossCpus(stats_map, v.stats_slot);
      if (sum && sum->size() >= 4) out.stats = {(*sum)[0], (*sum)[1], (*sum)[2], (*sum)[3]};
    }
    s.ports.push_back(out);
  }
  BpfPerCpuMap reasons(counters.get(), sizeof(uint64_t));
  for (uint32_t r = 0; r < SG_R_MAX; ++r) {
    Result<std::vector<uint64_t>> v = SumAcrossCpus(reasons, r);
    s.reasons.push_back(v && !v->empty() ? (*v)[0] : 0);
  }
  return s;
}

Json DaemonJson(const DaemonState& st, double secret_age) {
  Json o = {{"pid", st.pid},
            {"version", st.version},
            {"config", st.config},
            {"handoff", st.handoff},
            {"secret_source", st.secret_source},
            {"secret_age_seconds", secret_age},
            {"secret_rotations", st.secret_rotations},
            {"self_test_ok", st.self_test_ok},
            {"leave_pinned_on_exit", st.leave_pinned_on_exit},
            {"on_crash", st.on_crash},
            {"crash_keeps_protecting", st.crash_keeps_protecting},
            {"reloads_ok", st.reloads_ok},
            {"reloads_failed", st.reloads_failed},
            {"kernel_release", st.kernel_release},
            {"kernel_features", Json::array()}};
  for (const FeatureState& f : st.features)
    o["kernel_features"].push_back({{"name", f.name},
                                    {"available", f.available},
                                    {"fallback", f.available ? "" : f.fallback}});
  return o;
}

Json InterfaceJson(const InterfaceStatus& f) {
  Json o = {{"name", f.name},       {"xdp_mode", f.xdp_mode},       {"fell_back", f.fell_back},
            {"missing", f.missing}, {"xdp_prog_id", f.xdp_prog_id}, {"tc_prog_id", f.tc_prog_id}};
  if (!f.error.empty()) o["error"] = f.error;
  o["ports"] = Json::array();
  for (const PortStatus& p : f.ports)
    o["ports"].push_back({{"port", p.port},
                          {"engage", p.engage},
                          {"protected", p.protected_},
                          {"engaged", p.engaged},
                          {"syn", p.stats.syn},
                          {"synack_sent", p.stats.synack_sent},
                          {"ack_valid", p.stats.ack_valid},
                          {"ack_invalid", p.stats.ack_invalid}});
  o["counters"] = Json::object();
  for (size_t r = 0; r < f.reasons.size(); ++r)
    o["counters"][std::string(r >= SG_R_TC_FIRST ? "tc_" : "") + sg_reason_verdicts[r] + "_" +
                  sg_reason_names[r]] = f.reasons[r];
  return o;
}

void PrintJson(const std::optional<DaemonState>& st, bool running,
               const std::vector<InterfaceStatus>& ifs, double secret_age) {
  Json o = {{"running", running}};
  if (st) o.update(DaemonJson(*st, secret_age));
  o["interfaces"] = Json::array();
  for (const InterfaceStatus& f : ifs) o["interfaces"].push_back(InterfaceJson(f));
  std::fputs(JsonText(o).c_str(), stdout);
}

void PrintText(const std::optional<DaemonState>& st, bool running,
               const std::vector<InterfaceStatus>& ifs, double secret_age) {
  if (st) {
    std::printf("synguard %s, pid %lld: %s\n", st->version.c_str(), static_cast<long long>(st->pid),
                running ? "running" : "not running (left pinned, or killed)");
    std::printf("config: %s\nhandoff: %s\nsecrets: %s, current key %.0f s old, %llu rotation(s)\n",
                st->config.c_str(), st->handoff.c_str(), st->secret_source.c_str(), secret_age,
                static_cast<unsigned long long>(st->secret_rotations));
    std::printf("self-test: %s; reloads: %llu ok, %llu failed\n",
                st->self_test_ok ? "passed" : "not passed",
                static_cast<unsigned long long>(st->reloads_ok),
                static_cast<unsigned long long>(st->reloads_failed));
    if (!st->on_crash.empty())
      std::printf(
          "on crash: %s%s%s\n", st->on_crash.c_str(),
          st->crash_note.empty() ? "" : ", but a crash detaches here: ", st->crash_note.c_str());
    if (!st->features.empty()) {
      std::string have;
      for (const FeatureState& f : st->features)
        if (f.available) have += (have.empty() ? "" : ", ") + f.name;
      std::printf("kernel %s: %s\n", st->kernel_release.c_str(), have.c_str());
      for (const FeatureState& f : st->features)
        if (!f.available) std::printf("  no %s: %s\n", f.name.c_str(), f.fallback.c_str());
    }
  } else {
    std::printf("synguard: no state file; reading the pinned objects only\n");
  }
  for (const InterfaceStatus& f : ifs) {
    std::printf("%s: xdp %s%s (prog %u)", f.name.c_str(), f.xdp_mode.c_str(),
                f.fell_back ? " (fell back from native)" : "", f.xdp_prog_id);
    if (f.tc_prog_id) std::printf(", tc handoff prog %u", f.tc_prog_id);
    std::printf("\n");
    if (f.missing)
      std::printf("  MISSING: the interface went away; synguard waits for it to come back\n");
    else if (st && st->handoff == ToString(HandoffMode::kReqsk) && f.tc_prog_id == 0)
      std::printf(
          "  TC HANDOFF FILTER MISSING: removed by something else and not attached again yet; "
          "its ports are not engaged (the kernel answers SYNs) until it is back\n");
    if (!f.error.empty()) std::printf("  %s\n", f.error.c_str());
    for (const PortStatus& p : f.ports)
      std::printf("  port %u%s%s: %s; syn %llu, synack %llu, ack valid %llu, invalid %llu\n",
                  p.port, p.engage.empty() ? "" : " engage ", p.engage.c_str(),
                  p.engaged ? "ENGAGED" : (p.protected_ ? "not engaged" : "not protected"),
                  static_cast<unsigned long long>(p.stats.syn),
                  static_cast<unsigned long long>(p.stats.synack_sent),
                  static_cast<unsigned long long>(p.stats.ack_valid),
                  static_cast<unsigned long long>(p.stats.ack_invalid));
    for (size_t r = 0; r < f.reasons.size(); ++r) {
      if (f.reasons[r])
        std::printf("  %s%s %s: %llu\n", r >= SG_R_TC_FIRST ? "tc " : "", sg_reason_verdicts[r],
                    sg_reason_names[r], static_cast<unsigned long long>(f.reasons[r]));
    }
  }
}

}  // namespace

int StatusCommand(const StatusOptions& opts) {
  Result<LocalDaemon> here = FindLocalDaemon(opts.state_dir);
  if (!here) {
    std::fprintf(stderr, "%s\n", here.error().message().c_str());
    return 1;
  }
  const uint64_t ino = here->netns_inode;
  const std::optional<DaemonState>& st = here->state;
  const bool running = here->running;
  const std::string root = opts.pin_dir + "/" + std::to_string(ino);
  std::vector<std::string> names;
  if (st) {
    for (const InterfaceState& i : st->interfaces) names.push_back(i.name);
  } else {
    names = Subdirs(root);
  }
  if (!st && names.empty()) {
    if (std::optional<std::string> denied = FirstDenied({opts.state_dir, opts.pin_dir})) {
      std::fprintf(stderr,
                   "permission denied: cannot read %s (synguard's state and pins are root's); "
                   "run `synguard status` as root\n",
                   denied->c_str());
      return 4;
    }
    std::fprintf(stderr,
                 "no synguard in this network namespace: no state file in %s and no pins under "
                 "%s\n",
                 opts.state_dir.c_str(), root.c_str());
    return 1;
  }
  std::vector<InterfaceStatus> ifs;
  for (const std::string& n : names) {
    InterfaceStatus s = ReadInterface(root + "/" + n, n, st ? st->ports : std::vector<PortState>{});
    if (st) {
      for (const InterfaceState& i : st->interfaces)
        if (i.name == n) {
          s.fell_back = i.fell_back;
          s.missing = i.missing;
        }
    }
    ifs.push_back(std::move(s));
  }
  double secret_age = 0;
  if (st && st->secret_since_unix > 0) {
    secret_age = static_cast<double>(RealtimeClock().NowNs()) / 1e9 - st->secret_since_unix;
  }
  if (opts.json)
    PrintJson(st, running, ifs, secret_age);
  else
    PrintText(st, running, ifs, secret_age);
  // Like systemctl status: what was found is shown, and the exit code says
  // whether a daemon runs here.
  return running ? 0 : 1;
}

}  // namespace sg
