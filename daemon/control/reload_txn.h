// A SIGHUP's writes as one transaction. Everything a reload writes is
// computed before the first write (Daemon::PrepareReload resolves every
// interface, reads every MTU, builds every map value and loads the new
// interfaces' programs unattached); ApplyPrepared() then writes it step by
// step, each step paired with its undo, and the first failure undoes the
// steps already taken, newest first, so that the datapath is back to the
// running config. Counter values are not config: a statistics slot cleared
// for a new port stays cleared after a rollback.
//
// The writes go through ReloadTarget, so that tests/unit/reload_txn_test.cc
// drives the same code with a fake datapath that fails at each step in turn.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "control/list_entries.h"
#include "synguard/shared.h"
#include "util/result.h"

namespace sg {

// The writes a reload makes to one interface's maps and links.
class ReloadTarget {
 public:
  virtual ~ReloadTarget() = default;
  virtual const std::string& name() const = 0;
  // sg_config as written last; nullopt before the first write.
  virtual std::optional<sg_config> config() const = 0;
  virtual Status PutConfig(const sg_config& c) = 0;
  virtual Status PutLists(const ListEntries& entries) = 0;
  virtual Result<sg_port> Port(uint16_t port) const = 0;
  virtual Status PutPort(uint16_t port, const sg_port& value) = 0;
  virtual Status ClearSlot(uint32_t slot) = 0;
  virtual Status SetPinLink(bool pin) = 0;
  // A new interface, loaded and filled but not attached yet.
  virtual Status Attach() = 0;
  virtual void Detach() = 0;
};

// Steps with their undo; Rollback() runs the undos of the steps taken.
class Transaction {
 public:
  // Runs apply and remembers undo (which may be empty) for Rollback(), also
  // when apply failed, since it may have written part. The error names the
  // step.
  Status Step(std::string what, const std::function<Status()>& apply,
              std::function<Status()> undo = {});
  // Newest first; the undos that failed, each naming its step.
  std::vector<Error> Rollback();
  const std::vector<std::string>& done() const { return done_; }

 private:
  std::vector<std::string> done_;
  std::vector<std::function<Status()>> undo_;
};

// What a reload writes to one interface that stays; computed in full
// before the first write.
struct InterfaceChange {
  ReloadTarget* target = nullptr;
  std::optional<sg_config> config;                  // set: the cookie settings changed
  std::optional<ListEntries> lists;                 // set: the lists changed
  ListEntries old_lists;                            // what the undo puts back
  std::vector<std::pair<uint16_t, sg_port>> ports;  // removed ports as sg_port{}
  std::vector<uint32_t> fresh_slots;                // cleared before the ports are written
  std::optional<bool> pin_link;                     // set: on_crash changed
};

struct PreparedReload {
  std::vector<InterfaceChange> keep;
  std::vector<ReloadTarget*> attach;  // loaded and filled, not attached
};

// Every write of `r` as steps of `t`, interfaces that stay first, then the
// new ones attached. On an error the caller rolls `t` back (it may add
// steps of its own first).
Status ApplyPrepared(const PreparedReload& r, Transaction& t);

}  // namespace sg
