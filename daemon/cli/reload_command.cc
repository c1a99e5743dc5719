// The daemon counts every reload it finishes (reloads_ok / reloads_failed in
// its state file, rewritten right after the reload): one of them moving past
// the value read before the signal is the answer. A daemon that dies or is
// replaced meanwhile (another pid in the state file) is an answer too.
#include "cli/reload_command.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

#include "system/instance_lock.h"

namespace sg {

namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);

// The pid to signal: --pid, else the one in the state file. None, after
// saying why on stderr, when no synguard runs here or the pid is not one.
std::optional<int64_t> PidToSignal(const ReloadOptions& opts, const LocalDaemon& here) {
  if (!here.running) {
    std::fprintf(stderr, "reload: no synguard runs in this network namespace (state dir %s)\n",
                 opts.state_dir.c_str());
    return std::nullopt;
  }
  int64_t pid = opts.pid;
  if (pid == 0) {
    if (!here.state) {
      std::fprintf(stderr, "reload: a synguard runs here but its state file in %s is unreadable\n",
                   opts.state_dir.c_str());
      return std::nullopt;
    }
    pid = here.state->pid;
  }
  // A pid from the state file could have been reused since: only a synguard
  // in this network namespace gets the signal.
  if (!IsSynguardProcess(pid, here.netns_inode)) {
    std::fprintf(stderr, "reload: pid %lld is not a synguard in this network namespace\n",
                 static_cast<long long>(pid));
    return std::nullopt;
  }
  return pid;
}

bool SendSighup(int64_t pid) {
  if (kill(static_cast<pid_t>(pid), SIGHUP) == 0) return true;
  std::fprintf(stderr, "reload: %s\n",
               Error::FromErrno("send SIGHUP to " + std::to_string(pid)).message().c_str());
  return false;
}

// Polls the state file until one of the reload counters moves past `before`
// and returns the exit code for that answer. None when there was no answer:
// the daemon went away, another one replaced it, or the time ran out.
std::optional<int> AwaitAnswer(const std::string& path, int64_t pid, uint64_t netns_inode,
                               const DaemonState& before, double timeout_sec) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_sec * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPoll);
    Result<DaemonState> now = ReadStateFile(path);
    if (!now) {
      if (!IsSynguardProcess(pid, netns_inode)) break;
      continue;  // between two writes, or not written yet
    }
    if (now->pid != pid) break;
    if (now->reloads_failed > before.reloads_failed) {
      std::fprintf(stderr,
                   "reload: refused by synguard %lld, running unchanged (the config: %s; "
                   "`synguard check-config` or the daemon's log says why)\n",
                   static_cast<long long>(pid), now->config.c_str());
      return 1;
    }
    if (now->reloads_ok > before.reloads_ok) {
      std::printf("reload: synguard %lld reloaded %s\n", static_cast<long long>(pid),
                  now->config.c_str());
      return 0;
    }
  }
  return std::nullopt;
}

// No answer: says whether the daemon died or just did not answer in time.
int ReportNoAnswer(int64_t pid, uint64_t netns_inode, double timeout_sec) {
  if (!IsSynguardProcess(pid, netns_inode)) {
    std::fprintf(stderr, "reload: synguard %lld exited before it answered\n",
                 static_cast<long long>(pid));
    return 1;
  }
  std::fprintf(stderr, "reload: synguard %lld did not answer within %.0f s\n",
               static_cast<long long>(pid), timeout_sec);
  return 1;
}

}  // namespace

int ReloadCommand(const ReloadOptions& opts) {
  Result<LocalDaemon> here = FindLocalDaemon(opts.state_dir);
  if (!here) {
    std::fprintf(stderr, "reload: %s\n", here.error().message().c_str());
    return 1;
  }
  const std::optional<int64_t> pid = PidToSignal(opts, *here);
  if (!pid || !SendSighup(*pid)) return 1;
  const std::optional<DaemonState>& before = here->state;
  if (!before || before->pid != *pid) {
    // No counters to compare against: the signal went, the result is in the log.
    std::printf("reload: sent SIGHUP to synguard %lld; its log says the result\n",
                static_cast<long long>(*pid));
    return 0;
  }
  const std::string path = StateFilePath(opts.state_dir, here->netns_inode);
  if (std::optional<int> rc = AwaitAnswer(path, *pid, here->netns_inode, *before, opts.timeout_sec))
    return *rc;
  return ReportNoAnswer(*pid, here->netns_inode, opts.timeout_sec);
}

}  // namespace sg
