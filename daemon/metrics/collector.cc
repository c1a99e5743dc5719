#include "metrics/collector.h"

#include <string>
#include <utility>

#include "metrics/process_metrics.h"
#include "synguard/shared.h"

namespace sg {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<std::pair<std::string, std::string>>;

// Builds one family sample by sample.
class Family {
 public:
  Family(std::string name, std::string help, MetricType type) : type_(type) {
    f_.name = std::move(name);
    f_.help = std::move(help);
    f_.type = type;
  }
  Family& Add(double v, const Labels& labels = {}) {
    ClientMetric m;
    for (const auto& [k, val] : labels) m.label.push_back({k, val});
    if (type_ == MetricType::Counter)
      m.counter.value = v;
    else
      m.gauge.value = v;
    f_.metric.push_back(std::move(m));
    return *this;
  }
  MetricFamily Take() { return std::move(f_); }

 private:
  MetricType type_;
  MetricFamily f_;
};

constexpr MetricType kCounter = MetricType::Counter;
constexpr MetricType kGauge = MetricType::Gauge;

struct PortCounts {
  uint16_t port;
  uint64_t syn, synack, valid, invalid;
};

// Every verdict reason, XDP's and TC's, and the summaries read from them.
void AddReasonFamilies(const std::vector<uint64_t>& reason, std::vector<MetricFamily>& out) {
  Family packets("synguard_packets_total",
                 "Packets seen by the XDP program, by verdict (pass, tx, drop) and reason.",
                 kCounter);
  Family tc_packets("synguard_tc_packets_total",
                    "Packets seen by the TC handoff program (reqsk), by verdict (pass, handoff, "
                    "drop) and reason.",
                    kCounter);
  Family handoffs("synguard_handoffs_total",
                  "ACKs to protected ports handled by the TC handoff program, by result.",
                  kCounter);
  for (uint32_t r = 0; r < SG_R_MAX; ++r) {
    const Labels labels = {{"verdict", sg_reason_verdicts[r]}, {"reason", sg_reason_names[r]}};
    const double n = static_cast<double>(reason[r]);
    if (r < SG_R_TC_FIRST) {
      packets.Add(n, labels);
      continue;
    }
    tc_packets.Add(n, labels);
    if (r >= SG_R_HANDOFF_FIRST) handoffs.Add(n, {{"result", sg_reason_names[r]}});
  }
  out.push_back(packets.Take());
  out.push_back(tc_packets.Take());
  out.push_back(handoffs.Take());
  out.push_back(Family("synguard_synacks_sent_total", "Cookie SYN+ACKs sent with XDP_TX.", kCounter)
                    .Add(static_cast<double>(reason[SG_R_TX_SYNACK]))
                    .Take());
  out.push_back(
      Family("synguard_cookie_acks_total",
             "ACKs without a socket whose cookie was checked, by result.", kCounter)
          .Add(static_cast<double>(reason[SG_R_PASS_COOKIE_VALID]), {{"result", "valid"}})
          .Add(static_cast<double>(reason[SG_R_DROP_BAD_MAC]), {{"result", "bad_mac"}})
          .Add(static_cast<double>(reason[SG_R_DROP_EXPIRED]), {{"result", "expired"}})
          .Add(static_cast<double>(reason[SG_R_DROP_UNKNOWN_KEY]), {{"result", "unknown_key"}})
          .Add(static_cast<double>(reason[SG_R_DROP_KERNEL_COOKIE]),
               {{"result", "kernel_rejected"}})
          .Take());
}

void AddPortCounterFamilies(const std::vector<PortCounts>& ports, std::vector<MetricFamily>& out) {
  Family syns("synguard_port_syns_total", "Pure SYNs to a protected port, engaged or not.",
              kCounter);
  Family synacks("synguard_port_synacks_sent_total", "Cookie SYN+ACKs sent, per protected port.",
                 kCounter);
  Family acks("synguard_port_cookie_acks_total",
              "Cookie ACKs per protected port: valid (handed on) or invalid (dropped).", kCounter);
  for (const PortCounts& p : ports) {
    std::string port = std::to_string(p.port);
    syns.Add(static_cast<double>(p.syn), {{"port", port}});
    synacks.Add(static_cast<double>(p.synack), {{"port", port}});
    acks.Add(static_cast<double>(p.valid), {{"port", port}, {"result", "valid"}});
    acks.Add(static_cast<double>(p.invalid), {{"port", port}, {"result", "invalid"}});
  }
  out.push_back(syns.Take());
  out.push_back(synacks.Take());
  out.push_back(acks.Take());
}

// The ports' engaged state and their listeners, from the daemon's snapshot.
void AddPortStateFamilies(const MetricsSnapshot& snap, std::vector<MetricFamily>& out) {
  Family engaged("synguard_port_engaged", "1 when cookies answer SYNs on the port.", kGauge);
  Family changes("synguard_attack_state_changes_total",
                 "Changes of a port's engaged state, by the state entered.", kCounter);
  Family up("synguard_listener_up", "1 when a listener was found on the protected port.", kGauge);
  Family backlog("synguard_listener_backlog", "listen() backlog of the port's listener.", kGauge);
  Family queue("synguard_listener_accept_queue",
               "Connections waiting in the listener's accept queue.", kGauge);
  Family synrecv("synguard_listener_syn_recv",
                 "Request sockets in the kernel's SYN queue for the port.", kGauge);
  for (const PortSnapshot& p : snap.ports) {
    Labels port{{"port", std::to_string(p.port)}};
    engaged.Add(p.engaged ? 1 : 0, port);
    changes.Add(static_cast<double>(p.engage_events),
                {{"port", port[0].second}, {"state", "engaged"}});
    changes.Add(static_cast<double>(p.disengage_events),
                {{"port", port[0].second}, {"state", "disengaged"}});
    up.Add(p.listener_seen ? 1 : 0, port);
    backlog.Add(static_cast<double>(p.listen_backlog), port);
    queue.Add(static_cast<double>(p.accept_queue), port);
    synrecv.Add(static_cast<double>(p.syn_recv), port);
  }
  for (Family* f : {&engaged, &changes, &up, &backlog, &queue, &synrecv}) out.push_back(f->Take());
}

void AddInterfaceFamilies(const MetricsSnapshot& snap, std::vector<MetricFamily>& out) {
  Family attach("synguard_xdp_attached_info",
                "The XDP program is attached to the interface in this mode.", kGauge);
  Family present("synguard_interface_attached",
                 "1 while the programs run on the configured interface; 0 while it is gone "
                 "and synguard waits for it to come back.",
                 kGauge);
  Family losses("synguard_interface_losses_total",
                "Times the interface disappeared (deleted or re-created) while attached.",
                kCounter);
  Family repairs("synguard_tc_filter_repairs_total",
                 "Times synguard's TC handoff filter on the interface (reqsk) was found removed "
                 "or replaced by something else and attached again.",
                 kCounter);
  for (const InterfaceSnapshot& i : snap.interfaces) {
    // A missing interface has no attach mode: absent, as a detached program.
    if (i.attached)
      attach.Add(1, {{"interface", i.name},
                     {"mode", i.xdp_mode},
                     {"fell_back", i.fell_back ? "true" : "false"}});
    present.Add(i.attached ? 1 : 0, {{"interface", i.name}});
    losses.Add(static_cast<double>(i.losses), {{"interface", i.name}});
    repairs.Add(static_cast<double>(i.tc_repairs), {{"interface", i.name}});
  }
  out.push_back(attach.Take());
  out.push_back(present.Take());
  out.push_back(losses.Take());
  out.push_back(repairs.Take());
}

// Handoff mode, secrets, reloads, crash promise, self-test.
void AddDaemonFamilies(const MetricsSnapshot& snap, std::vector<MetricFamily>& out) {
  out.push_back(Family("synguard_handoff_mode_info", "How valid ACKs become sockets.", kGauge)
                    .Add(1, {{"mode", snap.handoff_mode.empty() ? "none" : snap.handoff_mode}})
                    .Take());
  out.push_back(Family("synguard_secret_rotations_total", "Cookie secret rotations.", kCounter)
                    .Add(static_cast<double>(snap.secret_rotations))
                    .Take());
  out.push_back(Family("synguard_secret_last_rotation_timestamp_seconds",
                       "Unix time of the last secret rotation (0: none yet).", kGauge)
                    .Add(snap.last_rotation_unix)
                    .Take());
  out.push_back(
      Family("synguard_config_reloads_total", "Configuration reloads, by result.", kCounter)
          .Add(static_cast<double>(snap.reloads_ok), {{"result", "success"}})
          .Add(static_cast<double>(snap.reloads_failed), {{"result", "failure"}})
          .Add(static_cast<double>(snap.reloads_rolled_back), {{"result", "rolled_back"}})
          .Take());
  out.push_back(Family("synguard_crash_keeps_protecting",
                       "1 if a crash of the daemon leaves the XDP program protecting "
                       "(on_crash: keep_protecting on a BPF filesystem that outlives it).",
                       kGauge)
                    .Add(snap.crash_keeps_protecting ? 1 : 0)
                    .Take());
  out.push_back(Family("synguard_config_last_reload_successful",
                       "1 if the last configuration reload succeeded.", kGauge)
                    .Add(snap.last_reload_ok ? 1 : 0)
                    .Take());
  out.push_back(Family("synguard_config_last_reload_success_timestamp_seconds",
                       "Unix time of the last successful configuration (re)load.", kGauge)
                    .Add(snap.last_reload_unix)
                    .Take());
  out.push_back(Family("synguard_self_test_ok",
                       "1 if the start-up self-test saw the program answer a probe SYN.", kGauge)
                    .Add(snap.self_test_ok ? 1 : 0)
                    .Take());
}

}  // namespace

bool SynguardCollector::CollectBpf(const MetricsSnapshot& snap,
                                   std::vector<MetricFamily>& out) const {
  if (!src_.reasons || !src_.port_stats) return false;
  std::vector<uint64_t> reason(SG_R_MAX, 0);
  for (uint32_t r = 0; r < SG_R_MAX; ++r) {
    Result<std::vector<uint64_t>> v = SumAcrossCpus(*src_.reasons, r);
    if (!v || v->empty()) return false;
    reason[r] = (*v)[0];
  }
  std::vector<PortCounts> ports;
  for (const PortSnapshot& p : snap.ports) {
    Result<std::vector<uint64_t>> v = SumAcrossCpus(*src_.port_stats, p.stats_slot);
    if (!v || v->size() < 4) return false;
    ports.push_back({p.port, (*v)[0], (*v)[1], (*v)[2], (*v)[3]});
  }
  AddReasonFamilies(reason, out);
  AddPortCounterFamilies(ports, out);
  return true;
}

std::vector<MetricFamily> SynguardCollector::Collect() const {
  std::vector<MetricFamily> out;
  MetricsSnapshot snap = src_.snapshot ? src_.snapshot() : MetricsSnapshot{};

  std::vector<MetricFamily> bpf;
  if (CollectBpf(snap, bpf)) {
    for (auto& f : bpf) out.push_back(std::move(f));
  } else {
    scrape_errors_.fetch_add(1);
  }
  out.push_back(Family("synguard_scrape_errors_total",
                       "Scrapes whose BPF counters could not be read (left out of that scrape).",
                       kCounter)
                    .Add(static_cast<double>(scrape_errors_.load()))
                    .Take());

  AddPortStateFamilies(snap, out);
  AddInterfaceFamilies(snap, out);
  AddDaemonFamilies(snap, out);
  out.push_back(Family("synguard_build_info", "synguard's version.", kGauge)
                    .Add(1, {{"version", src_.version}})
                    .Take());
  if (!src_.kernel_features.empty()) {
    Family features("synguard_kernel_feature_info",
                    "1 for each kernel feature synguard probed at start, labelled with whether "
                    "the kernel has it (a missing one means a documented fallback).",
                    kGauge);
    for (const auto& [name, available] : src_.kernel_features)
      features.Add(1, {{"feature", name}, {"available", available ? "true" : "false"}});
    out.push_back(features.Take());
  }
  for (auto& f : CollectProcessMetrics(src_.proc_self, src_.proc_root)) out.push_back(std::move(f));
  return out;
}

}  // namespace sg
