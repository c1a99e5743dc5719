// The reload transaction (control/reload_txn.h) against a fake datapath
// that fails at each write in turn: after every failure and its rollback,
// the live state must be the old config's, whatever step failed.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/cidr.h"
#include "control/reload_txn.h"

namespace sg {
namespace {

// Counts every write across all fakes and fails the one numbered fail_at.
struct Faults {
  int writes = 0;
  int fail_at = -1;
  bool fail_undo = false;  // after the first failure, fail every write too
  bool failed = false;
  bool Next() {
    const int n = writes++;
    if (failed && fail_undo) return false;
    if (n != fail_at) return true;
    failed = true;
    return false;
  }
};

// One interface's live state, as comparable values.
struct LiveState {
  std::optional<std::vector<uint8_t>> config;
  std::vector<std::string> lists;
  std::map<uint16_t, std::pair<uint32_t, uint32_t>> ports;  // flags, slot; zero entries left out
  bool pinned = false;
  bool attached = false;
  bool operator==(const LiveState&) const = default;
};

std::vector<std::string> Render(const ListEntries& e) {
  std::vector<std::string> out;
  for (const auto& [k, v] : e.v4)
    out.push_back(std::to_string(k.addr[0]) + "." + std::to_string(k.addr[1]) + "." +
                  std::to_string(k.addr[2]) + "." + std::to_string(k.addr[3]) + "/" +
                  std::to_string(k.prefixlen) + "=" + std::to_string(v));
  for (const auto& [k, v] : e.v6)
    out.push_back("v6/" + std::to_string(k.prefixlen) + "=" + std::to_string(v));
  return out;
}

class FakeTarget : public ReloadTarget {
 public:
  FakeTarget(std::string name, Faults& f) : name_(std::move(name)), f_(f) {}
  const std::string& name() const override { return name_; }
  std::optional<sg_config> config() const override { return cfg_; }
  Status PutConfig(const sg_config& c) override {
    if (!f_.Next()) return Error("write sg_config on " + name_, EIO);
    cfg_ = c;
    return Ok();
  }
  Status PutLists(const ListEntries& e) override {
    std::vector<std::string> want = Render(e);
    if (!f_.Next()) {
      // As SyncLists can: the first new entry written, then the failure.
      if (!want.empty()) lists_.push_back(want.front());
      return Error("sync the lists on " + name_, ENOMEM);
    }
    lists_ = want;
    return Ok();
  }
  Result<sg_port> Port(uint16_t port) const override {
    auto it = ports_.find(port);
    return it == ports_.end() ? sg_port{} : it->second;
  }
  Status PutPort(uint16_t port, const sg_port& v) override {
    if (!f_.Next()) return Error("write port " + std::to_string(port) + " on " + name_, EIO);
    ports_[port] = v;
    return Ok();
  }
  Status ClearSlot(uint32_t) override {
    if (!f_.Next()) return Error("clear a slot on " + name_, EIO);
    return Ok();
  }
  Status SetPinLink(bool pin) override {
    if (!f_.Next()) return Error("pin on " + name_, EPERM);
    pinned_ = pin;
    return Ok();
  }
  Status Attach() override {
    if (!f_.Next()) return Error("attach XDP to " + name_, EBUSY);
    attached_ = true;
    return Ok();
  }
  void Detach() override { attached_ = false; }

  LiveState State() const {
    LiveState s;
    if (cfg_) {
      s.config.emplace(sizeof(sg_config));
      std::memcpy(s.config->data(), &*cfg_, sizeof(sg_config));
    }
    s.lists = lists_;
    for (const auto& [port, v] : ports_)
      if (v.flags || v.stats_slot) s.ports[port] = {v.flags, v.stats_slot};
    s.pinned = pinned_;
    s.attached = attached_;
    return s;
  }
  // Sets the state without counting writes.
  void Seed(const sg_config& c, const ListEntries& l, std::map<uint16_t, sg_port> ports,
            bool pinned, bool attached) {
    cfg_ = c;
    lists_ = Render(l);
    ports_ = std::move(ports);
    pinned_ = pinned;
    attached_ = attached;
  }

 private:
  std::string name_;
  Faults& f_;
  std::optional<sg_config> cfg_;
  std::vector<std::string> lists_;
  std::map<uint16_t, sg_port> ports_;
  bool pinned_ = false;
  bool attached_ = false;
};

ListEntries Lists(const std::vector<std::string>& allow, const std::vector<std::string>& deny) {
  std::vector<Cidr> a, d;
  for (const auto& s : allow) a.push_back(*ParseCidr(s));
  for (const auto& s : deny) d.push_back(*ParseCidr(s));
  return BuildListEntries(a, d);
}

sg_port Port(uint32_t flags, uint32_t slot) {
  sg_port p{};
  p.flags = flags;
  p.stats_slot = slot;
  return p;
}

sg_config Cfg(uint8_t ttl) {
  sg_config c{};
  c.ttl = ttl;
  return c;
}

// The issue's case, widened: two interfaces stay, one is new; ports 7000
// and 7001 engaged always become 7000 auto (not engaged) and 7002, with new
// cookie settings, new lists and on_crash flipped.
struct World {
  Faults f;
  FakeTarget eth0{"eth0", f}, eth1{"eth1", f}, eth2{"eth2", f};
  ListEntries old_lists = Lists({"10.0.0.0/8"}, {"192.0.2.0/24"});
  ListEntries new_lists = Lists({"10.0.0.0/8", "172.16.0.0/12"}, {"fd00::/8"});
  PreparedReload r;

  World() {
    const std::map<uint16_t, sg_port> old_ports = {
        {7000, Port(SG_PORT_PROTECTED | SG_PORT_ENGAGED, 0)},
        {7001, Port(SG_PORT_PROTECTED | SG_PORT_ENGAGED, 1)}};
    eth0.Seed(Cfg(64), old_lists, old_ports, true, true);
    eth1.Seed(Cfg(64), old_lists, old_ports, true, true);
    // eth2 is loaded and filled for the new config, not attached.
    eth2.Seed(Cfg(32), new_lists, {}, false, false);
    for (FakeTarget* t : {&eth0, &eth1}) {
      InterfaceChange c;
      c.target = t;
      c.config = Cfg(32);
      c.lists = new_lists;
      c.old_lists = old_lists;
      c.fresh_slots = {1};
      c.ports = {{7000, Port(SG_PORT_PROTECTED, 0)},
                 {7002, Port(SG_PORT_PROTECTED | SG_PORT_ENGAGED, 1)},
                 {7001, sg_port{}}};
      c.pin_link = false;
      r.keep.push_back(c);
    }
    r.attach = {&eth2};
  }
};

TEST(ReloadTransaction, SuccessWritesEverything) {
  World w;
  Transaction t;
  ASSERT_TRUE(ApplyPrepared(w.r, t).ok());
  for (FakeTarget* t2 : {&w.eth0, &w.eth1}) {
    LiveState s = t2->State();
    EXPECT_EQ(s.lists, Render(w.new_lists));
    EXPECT_EQ(s.ports, (std::map<uint16_t, std::pair<uint32_t, uint32_t>>{
                           {7000, {SG_PORT_PROTECTED, 0}},
                           {7002, {SG_PORT_PROTECTED | SG_PORT_ENGAGED, 1}}}));
    EXPECT_FALSE(s.pinned);
    EXPECT_EQ(t2->config()->ttl, 32);
  }
  EXPECT_TRUE(w.eth2.State().attached);
  // 2 x (config, lists, slot, 3 ports, pin) + attach.
  EXPECT_EQ(w.f.writes, 15);
  EXPECT_EQ(t.done().size(), 15u);
}

TEST(ReloadTransaction, AFailureAtEveryStepLeavesTheOldState) {
  int total;
  {
    World w;
    Transaction t;
    ASSERT_TRUE(ApplyPrepared(w.r, t).ok());
    total = w.f.writes;
  }
  for (int k = 0; k < total; ++k) {
    SCOPED_TRACE("failing write #" + std::to_string(k));
    World w;
    const LiveState old0 = w.eth0.State(), old1 = w.eth1.State(), old2 = w.eth2.State();
    w.f.fail_at = k;
    Transaction t;
    Status s = ApplyPrepared(w.r, t);
    ASSERT_FALSE(s.ok());
    // The steps before the failure, and the failed one if it has an undo.
    EXPECT_GE(t.done().size(), static_cast<size_t>(k));
    EXPECT_LE(t.done().size(), static_cast<size_t>(k + 1));
    EXPECT_TRUE(t.Rollback().empty());
    EXPECT_TRUE(t.done().empty());
    EXPECT_EQ(w.eth0.State(), old0);
    EXPECT_EQ(w.eth1.State(), old1);
    EXPECT_EQ(w.eth2.State(), old2);  // loaded, never left attached
  }
}

TEST(ReloadTransaction, TheErrorNamesTheStepThatFailed) {
  World w;
  w.f.fail_at = 8;  // eth1's lists (eth0 took writes #0-#6, eth1's config is #7)
  Transaction t;
  Status s = ApplyPrepared(w.r, t);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "eth1: write the allow/deny lists: sync the lists on eth1: " +
                                     std::string(std::strerror(ENOMEM)));
}

TEST(ReloadTransaction, FailedUndosAreReportedEachByStep) {
  World w;
  w.f.fail_at = 3;  // eth0's first port write
  w.f.fail_undo = true;
  Transaction t;
  ASSERT_FALSE(ApplyPrepared(w.r, t).ok());
  std::vector<Error> undo = t.Rollback();
  // The failed port write (it may have written), the lists and the config
  // have undos, newest first; the slot clear has none.
  ASSERT_EQ(undo.size(), 3u);
  EXPECT_EQ(undo[0].message().rfind("undo eth0: write port 7000 (failed): ", 0), 0u)
      << undo[0].message();
  EXPECT_EQ(undo[1].message().rfind("undo eth0: write the allow/deny lists: ", 0), 0u);
  EXPECT_EQ(undo[2].message().rfind("undo eth0: write the cookie config: ", 0), 0u);
}

TEST(ReloadTransaction, CallerStepsRollBackWithTheRest) {
  World w;
  Transaction t;
  ASSERT_TRUE(ApplyPrepared(w.r, t).ok());
  int metrics = 1;
  ASSERT_TRUE(t.Step(
                   "metrics",
                   [&] {
                     metrics = 2;
                     return Ok();
                   },
                   [&] {
                     metrics = 1;
                     return Ok();
                   })
                  .ok());
  Status late = t.Step("late", [] { return Status(Error("late failure")); });
  ASSERT_FALSE(late.ok());
  EXPECT_TRUE(t.Rollback().empty());
  EXPECT_EQ(metrics, 1);
  EXPECT_EQ(w.eth0.State().lists, Render(w.old_lists));
  EXPECT_FALSE(w.eth2.State().attached);
}

}  // namespace
}  // namespace sg
