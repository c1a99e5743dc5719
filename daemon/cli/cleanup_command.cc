#include "cli/cleanup_command.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "system/bpffs.h"
#include "datapath/cleanup_kernel.h"
#include "system/cleanup.h"
#include "system/instance_lock.h"
#include "system/restore_record.h"

namespace sg {

namespace {

int Refuse(const std::optional<DaemonState>& st, uint64_t netns_inode) {
  std::string who = "a synguard is running (or starting)";
  if (st && IsSynguardProcess(st->pid, netns_inode))
    who = "synguard (pid " + std::to_string(st->pid) + ") is running";
  std::fprintf(stderr,
               "%s in this network namespace: stop it first (systemctl stop synguard), then run "
               "cleanup; nothing was changed\n",
               who.c_str());
  return 1;
}

}  // namespace

int CleanupCommand(const CleanupOptions& opts) {
  // libbpf would print the kernel's answer to every probe of an interface
  // without a clsact qdisc; the errors that matter come back as values.
  libbpf_set_print(nullptr);
  Result<LocalDaemon> here = FindLocalDaemon(opts.state_dir);
  if (!here) {
    std::fprintf(stderr, "%s\n", here.error().message().c_str());
    return 1;
  }
  const uint64_t ino = here->netns_inode;
  const std::optional<DaemonState>& st = here->state;
  // Undoing under a live daemon would pull its programs and sysctls from
  // under it; it puts everything back itself when it stops.
  if (here->running) return Refuse(st, ino);

  const CleanupRoots roots{
      .sysctl_root = kProcSys, .pin_dir = opts.pin_dir, .state_dir = opts.state_dir};
  const CleanupTarget target{.netns_inode = ino, .netns_id = NetnsIdentity(opts.state_dir)};
  std::unique_ptr<CleanupKernel> kernel = SystemCleanupKernel();
  CleanupReport plan = Cleanup(roots, target, *kernel, /*dry_run=*/true);
  if (plan.nothing_to_do()) {
    std::printf(
        "nothing to clean up in this network namespace: no synguard pins under %s/%llu, no "
        "restore record or state file in %s, no synguard program attached\n",
        opts.pin_dir.c_str(), static_cast<unsigned long long>(ino), opts.state_dir.c_str());
    return 0;
  }
  if (opts.dry_run) {
    std::printf("dry run: nothing is changed\n");
    for (const std::string& line : plan.lines) std::printf("%s\n", line.c_str());
    return 0;
  }

  // Held until the end, so that a synguard systemd restarts meanwhile
  // refuses to start instead of tuning what this is putting back.
  Result<InstanceLock> lock = InstanceLock::Take(InstanceLockPath(opts.state_dir, ino));
  if (!lock && lock.error().err() == EWOULDBLOCK) return Refuse(st, ino);
  if (!lock)
    std::fprintf(stderr, "%s: going on without it; start no synguard here until this is done\n",
                 lock.error().message().c_str());

  CleanupReport done = Cleanup(roots, target, *kernel, /*dry_run=*/false);
  for (const std::string& line : done.lines) std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  if (done.left.empty()) return 0;
  std::string left;
  for (const std::string& l : done.left) left += (left.empty() ? "" : "; ") + l;
  std::fprintf(stderr, "not everything was undone; left: %s\n", left.c_str());
  return 1;
}

}  // namespace sg
