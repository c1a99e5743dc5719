#include "system/cleanup.h"

#include <dirent.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <set>

#include "system/bpffs.h"
#include "system/restore_record.h"
#include "system/stale_pins.h"
#include "tuning/sysctl_guard.h"
#include "util/atomic_file.h"

namespace sg {

namespace {

// Sorted, so that the report reads the same every time.
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

bool IsDir(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status Unlink(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Error::FromErrno("remove " + path);
  return Ok();
}

// One interface's pin directory: <pin_dir>/<inode>/<ifname>.
struct PinnedInterface {
  std::string name;
  std::string dir;
  bool keep = false;  // its XDP link could not be detached: its pins stay too
};

class Cleaner {
 public:
  Cleaner(const CleanupRoots& roots, const CleanupTarget& target, CleanupKernel& kernel, bool dry)
      : roots_(roots), target_(target), kernel_(kernel), dry_(dry) {}

  CleanupReport Run() {
    Read();
    Xdp();
    Tc();
    Pins();
    Sysctls();
    Files();
    return std::move(report_);
  }

 private:
  // One change: `what` as an order ("detach ..."), `done` as a report
  // ("detached ..."), `left` what stays if act fails.
  bool Change(const std::string& what, const std::string& done, const std::string& left,
              const std::function<Status()>& act) {
    if (dry_) {
      report_.lines.push_back("would " + what);
      ++report_.changes;
      return true;
    }
    if (Status s = act(); !s) {
      report_.lines.push_back("could not " + what + ": " + s.error().message());
      report_.left.push_back(left);
      return false;
    }
    report_.lines.push_back(done);
    ++report_.changes;
    return true;
  }

  void Read() {
    pin_root_ = roots_.pin_dir + "/" + std::to_string(target_.netns_inode);
    record_path_ = RestoreRecordPath(roots_.state_dir, target_.netns_inode);
    state_path_ = StateFilePath(roots_.state_dir, target_.netns_inode);
    for (const std::string& e : Entries(pin_root_)) {
      if (IsDir(pin_root_ + "/" + e))
        pinned_.push_back({e, pin_root_ + "/" + e});
      else
        stray_pins_.push_back(pin_root_ + "/" + e);
    }
    // A daemon configured with another pin_dir said where in its state
    // file. Taken only if it looks like one of ours (.../<inode>/<ifname>
    // on a BPF filesystem): everything under it is removed.
    if (Result<DaemonState> st = ReadStateFile(state_path_); st) {
      const std::string ino = "/" + std::to_string(target_.netns_inode) + "/";
      for (const InterfaceState& i : st->interfaces) {
        const std::string& d = i.pin_dir;
        if (d.empty() || d.rfind(pin_root_ + "/", 0) == 0) continue;
        const bool shaped =
            d.size() > ino.size() + i.name.size() &&
            d.compare(d.size() - i.name.size() - ino.size(), std::string::npos, ino + i.name) == 0;
        if (shaped && IsDir(d) && OnBpffs(d)) pinned_.push_back({i.name, d});
      }
    }
    if (Exists(record_path_)) {
      Result<RestoreState> r = ReadRestoreRecord(record_path_);
      if (!r)
        record_error_ = r.error().message();
      else if (!RecordedHere(*r, target_.netns_id))
        record_foreign_ = true;
      else
        record_ = std::move(*r);
      record_found_ = true;
    }
    ordered_ = kernel_.Interfaces();
    interfaces_.insert(ordered_.begin(), ordered_.end());
  }

  void Xdp() {
    std::set<std::string> covered;
    for (PinnedInterface& p : pinned_) {
      const std::string link = p.dir + "/xdp_link";
      if (!Exists(link)) continue;
      Result<std::string> dev = kernel_.PinnedLinkDevice(link);
      auto unpin = [&] { return Unlink(link); };
      if (dev && !dev->empty()) {
        covered.insert(*dev);
        p.keep = !Change(
            "detach the XDP program from " + *dev + " (its link is pinned at " + link + ")",
            "detached the XDP program from " + *dev + " and removed its pinned link " + link,
            "the XDP program on " + *dev + ", and the pins under " + p.dir, [&]() -> Status {
              if (Status s = kernel_.DetachPinnedLink(link); !s) return s;
              return unpin();
            });
      } else if (dev) {
        Change("remove the pin " + link + " (its interface " + p.name +
                   " is gone, and the program with it)",
               "removed the pin " + link + " (its interface " + p.name +
                   " is gone, and the program with it)",
               "the pin " + link, unpin);
      } else {
        // Nothing the kernel can open as a link (a damaged pin, or not on
        // a BPF filesystem): the pin is all there is to remove.
        Change("remove the pin " + link + " (" + dev.error().message() + ")",
               "removed the pin " + link + " (" + dev.error().message() + ")", "the pin " + link,
               unpin);
      }
    }
    // Our program where no pin we know holds its link: pinned elsewhere
    // (another pin_dir, a bpffs mount this process cannot see).
    for (const std::string& i : ordered_) {
      if (covered.count(i) || !kernel_.XdpAttached(i)) continue;
      Change("detach synguard's XDP program from " + i + " (no pin under " + pin_root_ +
                 " holds its link)",
             "detached synguard's XDP program from " + i + " (no pin under " + pin_root_ +
                 " held its link)",
             "synguard's XDP program on " + i, [&] { return kernel_.DetachXdp(i); });
    }
  }

  void Tc() {
    // Our filter wherever it is: on a qdisc synguard created, it goes with
    // the qdisc below anyway; on anyone else's qdisc, it goes alone.
    for (const std::string& i : ordered_) {
      if (!kernel_.TcFilter(i)) continue;
      Change("remove synguard's TC handoff filter from " + i + " ingress",
             "removed synguard's TC handoff filter from " + i + " ingress",
             "synguard's TC handoff filter on " + i, [&] { return kernel_.RemoveTcFilter(i); });
    }
    // By name, as the daemon does: a qdisc on a device re-created under
    // that name since is taken for the one synguard made. As at a clean
    // stop, the qdisc goes with whatever filters others added to it.
    for (const std::string& i : record_.clsact) {
      if (!interfaces_.count(i) || !kernel_.Clsact(i)) continue;  // gone already
      if (!Change("remove the clsact qdisc synguard created on " + i,
                  "removed the clsact qdisc synguard created on " + i,
                  "the clsact qdisc synguard created on " + i,
                  [&] { return kernel_.RemoveClsact(i); }))
        clsact_left_.push_back(i);
    }
  }

  void Pins() {
    bool kept = false;
    for (const PinnedInterface& p : pinned_) {
      if (p.keep) {
        kept = true;
        continue;
      }
      std::vector<std::string> maps = Entries(p.dir);
      std::erase(maps, "xdp_link");  // dealt with above (a dry run leaves it)
      const std::string what = maps.empty() ? "the empty pin directory " + p.dir
                                            : std::to_string(maps.size()) + " pinned map" +
                                                  (maps.size() == 1 ? "" : "s") + " under " + p.dir;
      kept |= !Change("remove " + what, "removed " + what, "the pins under " + p.dir,
                      [&] { return RemovePinTree(p.dir); });
    }
    for (const std::string& s : stray_pins_)
      kept |= !Change("remove the pin " + s, "removed the pin " + s, "the pin " + s,
                      [&] { return Unlink(s); });
    if (!IsDir(pin_root_) || kept) return;
    if (pinned_.empty() && stray_pins_.empty()) {
      Change("remove the empty pin directory " + pin_root_,
             "removed the empty pin directory " + pin_root_, "the directory " + pin_root_,
             [&]() -> Status {
               if (rmdir(pin_root_.c_str()) != 0 && errno != ENOENT)
                 return Error::FromErrno("remove " + pin_root_);
               return Ok();
             });
    } else if (!dry_) {
      rmdir(pin_root_.c_str());  // emptied above: part of those lines
    }
  }

  // "NAME = CUR" stands: the operator changed it after synguard did.
  std::string Stands(const AdoptedSysctls::Overridden& o) const {
    return (dry_ ? "would leave " : "left ") + o.saved.name + " = " + o.current +
           " as it is: changed since synguard set " + o.saved.set +
           ", so the operator's value stands (the value before synguard, " + o.saved.original +
           ", is not put back)";
  }

  void Sysctls() {
    if (record_.sysctls.empty()) return;
    if (dry_) {
      AdoptedSysctls c = ClassifySaved(roots_.sysctl_root, record_.sysctls);
      for (const SavedSysctl& s : c.adopted)
        Change("put back " + s.name + " = " + s.original + " (synguard set " + s.set + ")", "", "",
               nullptr);
      for (const AdoptedSysctls::Overridden& o : c.overridden) report_.lines.push_back(Stands(o));
      return;
    }
    // What a restarted daemon and then its clean stop do, at once: the
    // same guard, the same rule, the same restore (newest first).
    std::vector<SavedSysctl> remaining;
    SysctlGuard guard(roots_.sysctl_root,
                      [&](const std::vector<SavedSysctl>& v) { remaining = v; });
    AdoptedSysctls a = guard.Adopt(record_.sysctls);
    std::vector<Error> errors = guard.Restore();
    for (const SavedSysctl& s : a.adopted) {
      const bool failed = std::any_of(remaining.begin(), remaining.end(),
                                      [&](const SavedSysctl& r) { return r.name == s.name; });
      if (!failed) {
        report_.lines.push_back("put back " + s.name + " = " + s.original + " (synguard had set " +
                                s.set + ")");
        ++report_.changes;
        continue;
      }
      std::string why = "unknown error";
      for (const Error& e : errors)
        if (e.what().rfind("restore " + s.name + ":", 0) == 0) why = e.message();
      report_.lines.push_back("could not put back " + s.name + " = " + s.original + ": " + why);
      report_.left.push_back(s.name + " = " + s.set + " (synguard's value; the original " +
                             s.original + " stays on the restore record)");
    }
    for (const AdoptedSysctls::Overridden& o : a.overridden) report_.lines.push_back(Stands(o));
    sysctls_left_ = std::move(remaining);
  }

  void RemoveFile(const std::string& path, const std::string& what) {
    Change("remove " + what + " " + path, "removed " + what + " " + path, what + " " + path,
           [&] { return Unlink(path); });
  }

  void Files() {
    if (record_found_ && !record_error_.empty()) {
      report_.lines.push_back("the restore record " + record_path_ + " cannot be read (" +
                              record_error_ + "): the sysctls it listed are not put back");
      if (!dry_)
        report_.left.push_back(
            "the sysctls the damaged restore record listed, if any: compare them with "
            "deploy/sysctl.d/60-synguard.conf by hand");
      RemoveFile(record_path_, "the damaged restore record");
    } else if (record_found_ && record_foreign_) {
      const std::string why =
          " (left by an older network namespace, or boot, that had this inode: its sysctls are "
          "not this namespace's, and are not put back)";
      Change("remove the restore record " + record_path_ + why,
             "removed the restore record " + record_path_ + why,
             "the restore record " + record_path_, [&] { return Unlink(record_path_); });
    } else if (record_found_) {
      const RestoreState rest{
          .netns_id = record_.netns_id, .sysctls = sysctls_left_, .clsact = clsact_left_};
      if (rest.empty()) {
        Change("remove the restore record " + record_path_,
               "removed the restore record " + record_path_, "the restore record " + record_path_,
               [&] { return WriteRestoreRecord(record_path_, rest); });
      } else if (Status s = WriteRestoreRecord(record_path_, rest); s) {
        report_.lines.push_back("kept the restore record " + record_path_ +
                                ": it lists what is left, for the next synguard or cleanup");
      } else {
        report_.lines.push_back("could not rewrite the restore record: " + s.error().message());
        report_.left.push_back("the restore record " + record_path_ + " lists more than is left");
      }
    }
    // A kill -9 between writing and renaming leaves the temporary file.
    for (const std::string& tmp : {AtomicTempPath(record_path_), AtomicTempPath(state_path_)})
      if (Exists(tmp)) RemoveFile(tmp, "the half-written file");
    if (Exists(state_path_)) RemoveFile(state_path_, "the state file");
  }

  const CleanupRoots& roots_;
  const CleanupTarget& target_;
  CleanupKernel& kernel_;
  const bool dry_;
  CleanupReport report_;

  std::string pin_root_, record_path_, state_path_;
  std::vector<PinnedInterface> pinned_;
  std::vector<std::string> stray_pins_;  // files right under the pin root
  std::set<std::string> interfaces_;
  std::vector<std::string> ordered_;  // interfaces_, in the kernel's order
  bool record_found_ = false;
  bool record_foreign_ = false;
  std::string record_error_;
  RestoreState record_;  // empty unless found, readable and ours
  std::vector<SavedSysctl> sysctls_left_;
  std::vector<std::string> clsact_left_;
};

}  // namespace


CleanupReport Cleanup(const CleanupRoots& roots, const CleanupTarget& target, CleanupKernel& kernel,
                      bool dry_run) {
  return Cleaner(roots, target, kernel, dry_run).Run();
}

}  // namespace sg
