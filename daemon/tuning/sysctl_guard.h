// Sets sysctls and remembers what they were, to put them back on exit.
//
// The memory alone does not survive a kill -9: a restarted daemon would find
// its own values in place and restore nothing. So the guard tells a journal
// (the daemon's restore record, system/restore_record.h) every entry it
// holds before it writes a sysctl for the first time, and a restarted daemon
// hands the saved entries to Adopt().
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace sg {

// One sysctl synguard changed.
struct SavedSysctl {
  std::string name;      // dotted, e.g. "net.ipv4.tcp_syncookies"
  std::string original;  // the value before synguard: what a clean stop puts back
  std::string set;       // the value synguard wrote
  bool operator==(const SavedSysctl&) const = default;
};

// What Adopt() made of a previous run's entries.
struct AdoptedSysctls {
  // Still hold the value synguard set: their originals are restored later.
  std::vector<SavedSysctl> adopted;
  // Changed by someone else since (the value found is `current`): that value
  // stands, and the saved original is dropped.
  struct Overridden {
    SavedSysctl saved;
    std::string current;
  };
  std::vector<Overridden> overridden;
};

// The rule for a previous run's entries, without changing anything: an
// entry whose sysctl (under root) still holds the value synguard set is
// `adopted` (its original is to be put back); one holding anything else was
// changed by the operator since, whose value wins: `overridden`. A name
// listed twice counts once, by its first (oldest) entry. SysctlGuard::Adopt()
// (a restarted daemon) and `synguard cleanup` both decide by this.
AdoptedSysctls ClassifySaved(const std::string& root, const std::vector<SavedSysctl>& saved);

class SysctlGuard {
 public:
  // Called with every entry the guard holds: before a sysctl is written for
  // the first time (so that a crash right after the write still finds the
  // original on record), after Adopt(), and after Restore() with the entries
  // that could not be put back (none: everything is back).
  using Journal = std::function<void(const std::vector<SavedSysctl>&)>;

  explicit SysctlGuard(std::string root, Journal journal = nullptr)
      : root_(std::move(root)), journal_(std::move(journal)) {}
  ~SysctlGuard() { Restore(); }
  SysctlGuard(const SysctlGuard&) = delete;
  SysctlGuard& operator=(const SysctlGuard&) = delete;

  // Writes value if different, remembering the old value the first time.
  Result<bool> Set(const std::string& name, const std::string& value);
  // Takes over the entries a previous run saved and could not restore (it
  // was killed), by ClassifySaved()'s rule: an adopted entry's original is
  // what Restore() puts back; an overridden one is dropped (if this run
  // changes the sysctl again, the operator's value is the original).
  // Call before Set().
  AdoptedSysctls Adopt(const std::vector<SavedSysctl>& saved);
  // Puts back one remembered value now and forgets it.
  Status RestoreOne(const std::string& name);
  // Puts back every value changed, newest first. Errors are returned, not
  // thrown; the entries that failed stay on the journal for the next run.
  std::vector<Error> Restore();
  // Drops what it remembered: nothing is restored, now or on destruction.
  // The journal keeps the entries (programs left pinned need the values; the
  // next run adopts them).
  void Forget() { saved_.clear(); }
  const std::vector<SavedSysctl>& changed() const { return saved_; }
  const std::string& root() const { return root_; }

 private:
  SavedSysctl* Find(const std::string& name);
  void Tell() const {
    if (journal_) journal_(saved_);
  }

  std::string root_;
  Journal journal_;
  std::vector<SavedSysctl> saved_;  // in the order they were first changed
};

}  // namespace sg
