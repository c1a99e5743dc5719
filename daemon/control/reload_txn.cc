#include "control/reload_txn.h"

#include <algorithm>

namespace sg {

Status Transaction::Step(std::string what, const std::function<Status()>& apply,
                         std::function<Status()> undo) {
  if (Status s = apply(); !s) {
    // A failed write may have written part (a list sync stops half-way):
    // its undo runs in the rollback too. Undos write the old value whole,
    // so running one over an untouched map is harmless.
    if (undo) {
      done_.push_back(what + " (failed)");
      undo_.push_back(std::move(undo));
    }
    return s.take_error().Context(what);
  }
  done_.push_back(std::move(what));
  undo_.push_back(std::move(undo));
  return Ok();
}

std::vector<Error> Transaction::Rollback() {
  std::vector<Error> failed;
  while (!undo_.empty()) {
    std::function<Status()> undo = std::move(undo_.back());
    std::string what = std::move(done_.back());
    undo_.pop_back();
    done_.pop_back();
    if (!undo) continue;
    if (Status s = undo(); !s) failed.push_back(s.take_error().Context("undo " + what));
  }
  return failed;
}

namespace {

Status ApplyChange(const InterfaceChange& c, Transaction& t) {
  ReloadTarget& d = *c.target;
  const std::string& n = d.name();
  if (c.config) {
    std::optional<sg_config> old = d.config();
    std::function<Status()> undo;
    if (old) undo = [&d, v = *old] { return d.PutConfig(v); };
    if (Status s = t.Step(
            n + ": write the cookie config", [&] { return d.PutConfig(*c.config); },
            std::move(undo));
        !s)
      return s;
  }
  if (c.lists) {
    if (Status s = t.Step(
            n + ": write the allow/deny lists", [&] { return d.PutLists(*c.lists); },
            [&d, old = c.old_lists] { return d.PutLists(old); });
        !s)
      return s;
  }
  for (uint32_t slot : c.fresh_slots) {
    // Counters, not config: nothing to undo.
    if (Status s = t.Step(n + ": clear statistics slot " + std::to_string(slot),
                          [&] { return d.ClearSlot(slot); });
        !s)
      return s;
  }
  for (const auto& [port, value] : c.ports) {
    Result<sg_port> old = d.Port(port);
    if (!old) return old.take_error().Context(n + ": read port " + std::to_string(port));
    if (Status s = t.Step(
            n + ": write port " + std::to_string(port), [&] { return d.PutPort(port, value); },
            [&d, port = port, v = *old] { return d.PutPort(port, v); });
        !s)
      return s;
  }
  if (c.pin_link) {
    const bool pin = *c.pin_link;
    if (Status s = t.Step(
            n + (pin ? ": pin the XDP link" : ": unpin the XDP link"),
            [&] { return d.SetPinLink(pin); }, [&d, pin] { return d.SetPinLink(!pin); });
        !s)
      return s;
  }
  return Ok();
}

}  // namespace

Status ApplyPrepared(const PreparedReload& r, Transaction& t) {
  for (const InterfaceChange& c : r.keep) {
    if (Status s = ApplyChange(c, t); !s) return s;
  }
  for (ReloadTarget* d : r.attach) {
    if (Status s = t.Step(
            d->name() + ": attach", [d] { return d->Attach(); },
            [d] {
              d->Detach();
              return Ok();
            });
        !s)
      return s;
  }
  return Ok();
}

}  // namespace sg
