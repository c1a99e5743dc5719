// synguard: XDP SYN-flood defense. Subcommands: run, status, check-config,
// cleanup, reload.
// Parsing only: each subcommand lives in its own file. Exit codes: 0 ok,
// 1 runtime failure, 2 bad config or flags (nothing attached or changed).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <string>

#include "config/check_config.h"
#include "config/modes.h"
#include "cli/cleanup_command.h"
#include "cli/reload_command.h"
#include "cli/run_command.h"
#include "cli/status_command.h"

#ifndef SYNGUARD_VERSION
#define SYNGUARD_VERSION "0.0.0"
#endif

namespace {

// An enum option takes the config's words for it (config/modes.h), in any case.
template <sg::NamedEnum E>
CLI::CheckedTransformer Choices() {
  std::map<std::string, E> words;
  for (const sg::Name<E>& n : sg::EnumNames<E>::kTable) words.emplace(n.word, n.value);
  return CLI::CheckedTransformer(std::move(words), CLI::ignore_case);
}

// One function per subcommand: each declares its flags, which CLI11 writes
// into `out` while parsing (so `out` must outlive the parse), and returns
// the subcommand so that main can ask which one was given.
CLI::App* AddRunCommand(CLI::App& app, sg::RunFlags& out) {
  CLI::App* cmd = app.add_subcommand("run", "protect ports on interfaces (foreground)");
  cmd->add_option("-c,--config", out.config_file, "config file (flags override it)")
      ->check(CLI::ExistingFile);
  cmd->add_option("-i,--interface", out.interfaces, "interface to attach to (repeatable)");
  cmd->add_option("-p,--port", out.ports, "TCP port to protect (repeat for more)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--engage", out.engage, "when cookies answer SYNs")
      ->transform(Choices<sg::EngageMode>());
  cmd->add_option("--handoff", out.handoff, "how valid ACKs become sockets")
      ->transform(Choices<sg::HandoffMode>());
  cmd->add_option("--xdp-mode", out.xdp_mode, "XDP attach mode (auto: native, else skb)")
      ->transform(Choices<sg::XdpMode>());
  cmd->add_option("--metrics-listen", out.metrics_listen, "Prometheus endpoint ADDR:PORT");
  cmd->add_option("--cookie-max-age", out.cookie_max_age,
                  "seconds a cookie stays valid (at most 1.5x this)")
      ->check(CLI::Range(4, 240));
  cmd->add_option("--ttl", out.ttl, "TTL / hop limit of SYN+ACKs")->check(CLI::Range(1, 255));
  cmd->add_option("--pin-dir", out.pin_dir, "bpffs directory for pins");
  cmd->add_flag("--dry-run", out.dry_run,
                "print the sysctl changes and what would be attached, change nothing");
  return cmd;
}

CLI::App* AddStatusCommand(CLI::App& app, sg::StatusOptions& out) {
  CLI::App* cmd = app.add_subcommand("status", "show what a running synguard does");
  cmd->add_flag("--json", out.json, "machine-readable output");
  cmd->add_option("--pin-dir", out.pin_dir, "bpffs directory the daemon pins under");
  cmd->add_option("--state-dir", out.state_dir, "the daemon's state directory");
  return cmd;
}

CLI::App* AddCheckConfigCommand(CLI::App& app, std::string& file) {
  CLI::App* cmd =
      app.add_subcommand("check-config", "validate a config file and explain it (exit 2 if bad)");
  cmd->add_option("file", file, "config file")->required();
  return cmd;
}

CLI::App* AddCleanupCommand(CLI::App& app, sg::CleanupOptions& out) {
  CLI::App* cmd = app.add_subcommand(
      "cleanup", "undo what a synguard that no longer runs left here (exit 1 if one runs)");
  cmd->add_flag("--dry-run", out.dry_run, "print what would be undone, change nothing");
  cmd->add_option("--pin-dir", out.pin_dir, "bpffs directory the daemon pinned under");
  cmd->add_option("--state-dir", out.state_dir, "the daemon's state directory");
  cmd->footer(
      "For the current network namespace, after a kill -9, an OOM kill, a crash loop, or a\n"
      "stop with leave_pinned_on_exit (before an uninstall): detaches synguard's XDP program\n"
      "and removes its pins (<pin-dir>/<netns inode>/), removes its TC handoff filter and the\n"
      "clsact qdiscs it created, puts back the sysctls on its restore record\n"
      "(<state-dir>/<netns inode>.restore.json) unless changed since (then the operator's\n"
      "value stays), and removes that record and the state file. One line per change.\n"
      "Starts no protection. Refused while a synguard runs in this namespace.\n"
      "Exit 0: done, or nothing to do. Exit 1: refused, or something could not be undone\n"
      "(it says what is left).");
  return cmd;
}

CLI::App* AddReloadCommand(CLI::App& app, sg::ReloadOptions& out) {
  CLI::App* cmd = app.add_subcommand(
      "reload", "make the running synguard reload its config and wait for the result");
  cmd->add_option("--pid", out.pid, "the daemon's pid (default: from its state file)");
  cmd->add_option("--state-dir", out.state_dir, "the daemon's state directory");
  cmd->add_option("--timeout", out.timeout_sec, "seconds to wait for the answer")
      ->check(CLI::Range(1, 600));
  return cmd;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "synguard: answers SYN floods with XDP SYN cookies and hands real clients to the kernel"};
  app.set_version_flag("--version", std::string("synguard ") + SYNGUARD_VERSION);
  app.require_subcommand(1);

  // Added in this order, which is the order --help lists them in.
  sg::RunFlags run;
  CLI::App* run_cmd = AddRunCommand(app, run);
  sg::StatusOptions status;
  CLI::App* status_cmd = AddStatusCommand(app, status);
  std::string check_file;
  CLI::App* check_cmd = AddCheckConfigCommand(app, check_file);
  sg::CleanupOptions cleanup;
  CLI::App* cleanup_cmd = AddCleanupCommand(app, cleanup);
  sg::ReloadOptions reload;
  CLI::App* reload_cmd = AddReloadCommand(app, reload);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Bad flags are the operator's mistake: exit 2, as a bad config is.
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (run_cmd->parsed()) return sg::RunCommand(run);
  if (status_cmd->parsed()) return sg::StatusCommand(status);
  if (check_cmd->parsed()) return sg::CheckConfig(check_file);
  if (cleanup_cmd->parsed()) return sg::CleanupCommand(cleanup);
  if (reload_cmd->parsed()) return sg::ReloadCommand(reload);
  return 0;
}
