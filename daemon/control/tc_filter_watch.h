// Whether synguard's TC handoff filter (reqsk mode) is still in place on an
// interface, and when to attach it again. A filter on a clsact qdisc is not a
// link: nothing ties it to synguard, so `tc qdisc del dev X clsact`, `tc
// filter del dev X ingress` or a network manager resetting tc removes it
// while the daemon runs. XDP then keeps answering SYNs with cookies, and
// every returning ACK reaches the listener without a request socket: the
// kernel resets each new connection, silently. The daemon samples the
// filter at each tick and on each rtnetlink event, and acts on what this
// says; the decisions are pure, so that tests feed it sequences without a
// kernel.
#pragma once

#include <cstdint>
#include <string>

namespace sg {

// What the kernel says about our filter (our handle and priority at the
// interface's TC ingress) on the device it was attached to, read once.
struct TcSample {
  enum class State {
    kOurs,      // there, and it runs our program
    kGone,      // no filter at our handle and priority, or no clsact qdisc at all
    kReplaced,  // a filter at our handle and priority runs another program
    kUnknown,   // the query failed (the device is going away, say): do nothing
  };
  State state = State::kOurs;
  uint32_t prog_id = 0;  // kReplaced: the program found there
  std::string error;     // kUnknown: why the query failed
  int err = 0;           // kUnknown: its errno
};

class TcFilterWatch {
 public:
  enum class Action {
    kNone,    // nothing to do (in place, not ours to judge, or waiting)
    kRepair,  // attach the filter again now
  };

  // Retry delays after a failed repair, as InterfaceWatch: doubled each
  // time, up to the max, so that a hook that keeps refusing costs a log line
  // a minute at most.
  static constexpr uint64_t kFirstRetryNs = 1000000000ull;
  static constexpr uint64_t kMaxRetryNs = 60000000000ull;
  // Something that removes the filter again as soon as it is back (a
  // network manager that owns tc on the device) would have synguard
  // re-attach it in a loop at the speed of rtnetlink events. A loss seen
  // less than kFightWindowNs after our last repair continues a fight; the
  // first kFreeRepairs repairs of a fight are immediate, each after that
  // waits (1 s, doubled up to the max). A filter that stays in place for
  // kFightWindowNs after a repair ends the fight.
  static constexpr int kFreeRepairs = 3;
  static constexpr uint64_t kFightWindowNs = 10000000000ull;

  // The filter was attached (at start, at a re-attach): failures forgotten.
  void Attached();
  // One check. kRepair when the filter is gone or replaced and no wait is
  // running; a filter found in place (put back by us or by someone else)
  // ends a failure's backoff.
  Action Update(const TcSample& s, uint64_t now_ns);
  // The repair kRepair asked for worked: counted. Returns how long the next
  // repair will wait if the filter goes again (0: none; > 0: a fight).
  uint64_t Repaired(uint64_t now_ns);
  // The repair kRepair asked for failed: the next waits; returns how long.
  uint64_t AttemptFailed(uint64_t now_ns);

  uint64_t repairs() const { return repairs_; }
  // Repairs in the current fight (1: the last loss came after a quiet
  // kFightWindowNs).
  int quick_repairs() const { return quick_repairs_; }
  // A repair failed and the filter has not been seen in place since.
  bool failing() const { return failing_; }
  // The last query failed (kUnknown); for saying so once, not every tick.
  bool unknown() const { return unknown_; }

 private:
  uint64_t next_try_ns_ = 0;
  uint64_t fail_retry_ns_ = kFirstRetryNs;
  uint64_t fight_retry_ns_ = kFirstRetryNs;
  uint64_t last_repair_ns_ = 0;
  bool have_repair_ = false;
  int quick_repairs_ = 0;
  bool loss_seen_ = false;   // the current loss (gone or replaced) was seen
  bool loss_quick_ = false;  // ... within kFightWindowNs of our last repair
  uint64_t repairs_ = 0;
  bool failing_ = false;
  bool unknown_ = false;
};

// The warn line of a repair that worked, in plain words: what happened to
// the filter on ifname, and what synguard did. qdisc_created: the clsact
// qdisc was gone and synguard created it again.
std::string TcRepairLine(const std::string& ifname, const TcSample& found, bool qdisc_created);
// What was found, for the error line of a repair that failed.
std::string TcFindingText(const std::string& ifname, const TcSample& found);

}  // namespace sg
