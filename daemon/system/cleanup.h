// `synguard cleanup`: undoes what a synguard that no longer runs left in
// this network namespace, without starting protection: after a kill -9, an
// OOM kill or a crash loop systemd gave up on (on_crash: keep_protecting
// leaves the XDP link pinned and answering SYNs with a key nobody rotates),
// or a clean stop with leave_pinned_on_exit, before an uninstall.
//
// In this order, one report line per change:
//   1. the XDP links pinned under <pin dir>/<netns inode>/<interface>/
//      (detached, then unpinned), and synguard's XDP program on any
//      interface here through a link no such pin holds;
//   2. synguard's TC handoff filter on any interface here, and the clsact
//      qdiscs the restore record says synguard created (only those: a
//      filter on someone else's qdisc goes alone);
//   3. the pinned maps and the pin directories;
//   4. the sysctls on the restore record, by the rule a restarted daemon
//      adopts them with (ClassifySaved(), system/sysctl_guard.h): still at
//      synguard's value, the original goes back; changed since, the
//      operator's value stands;
//   5. the restore record (rewritten with what is left, if anything is)
//      and the state file.
// Programs before sysctls: tcp_syncookies back at 0 under a running reqsk
// handoff would reset its connections.
//
// Whether a synguard still runs here is the caller's question
// (system/instance_lock.h): this undoes unconditionally.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "system/state_file.h"
#include "tuning/sysctl.h"
#include "util/result.h"

namespace sg {

// The kernel side, by interface name, behind an interface so that the
// decisions and the file handling are tested without root. The real one
// (SystemCleanupKernel, datapath/cleanup_kernel.h) uses datapath/leftovers.h.
class CleanupKernel {
 public:
  virtual ~CleanupKernel() = default;
  // Every interface of this network namespace.
  virtual std::vector<std::string> Interfaces() const = 0;
  // The interface the XDP link pinned at path runs on; "" when its device
  // is gone. An error: no XDP link there.
  virtual Result<std::string> PinnedLinkDevice(const std::string& path) const = 0;
  // Detaches the link pinned at path (the caller removes the pin).
  virtual Status DetachPinnedLink(const std::string& path) = 0;
  // synguard's XDP program runs on ifname.
  virtual bool XdpAttached(const std::string& ifname) const = 0;
  virtual Status DetachXdp(const std::string& ifname) = 0;
  // synguard's TC handoff filter is at ifname's ingress.
  virtual bool TcFilter(const std::string& ifname) const = 0;
  virtual Status RemoveTcFilter(const std::string& ifname) = 0;
  // ifname has a clsact qdisc (anyone's).
  virtual bool Clsact(const std::string& ifname) const = 0;
  virtual Status RemoveClsact(const std::string& ifname) = 0;
};


struct CleanupRoots {
  std::string sysctl_root = kProcSys;
  std::string pin_dir = "/sys/fs/bpf/synguard";  // this namespace's: <pin_dir>/<inode>/
  std::string state_dir = kDefaultStateDir;
};

// Which network namespace: its inode names the files, its identity
// (NetnsIdentity()) tells a restore record of an older namespace that had
// the same inode.
struct CleanupTarget {
  uint64_t netns_inode = 0;
  std::string netns_id;  // empty: unknown
};

struct CleanupReport {
  // One per change made (dry run: that would be made), or per sysctl left
  // to the operator, in order. A failed change says "could not ...".
  std::vector<std::string> lines;
  // What could not be undone, one item each; empty: everything was.
  std::vector<std::string> left;
  size_t changes = 0;  // made, or (dry run) to be made
  bool nothing_to_do() const { return changes == 0 && left.empty(); }
};

// Undoes everything listed above; with dry_run, reads and reports only
// ("would ..."), changing nothing.
CleanupReport Cleanup(const CleanupRoots& roots, const CleanupTarget& target, CleanupKernel& kernel,
                      bool dry_run);

}  // namespace sg
