// synguard: XDP SYN-flood defense. Subcommands: run (and, later, status,
// check-config). Parsing only: each subcommand lives in its own file.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <string>

#include "cli/run_command.h"

#ifndef SYNGUARD_VERSION
#define SYNGUARD_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  CLI::App app{
      "synguard: answers SYN floods with XDP SYN cookies and hands real clients to the kernel"};
  app.set_version_flag("--version", std::string("synguard ") + SYNGUARD_VERSION);
  app.require_subcommand(1);

  sg::RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "protect ports on an interface (foreground)");
  run_cmd->add_option("-i,--interface", run.interface, "interface to attach to")->required();
  run_cmd->add_option("-p,--port", run.ports, "TCP port to protect (repeat for more)")
      ->required()
      ->check(CLI::Range(1, 65535));
  run_cmd->add_option("--engage", run.engage, "when cookies answer SYNs")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, sg::EngageMode>{{"always", sg::EngageMode::kAlways},
                                                {"auto", sg::EngageMode::kAuto},
                                                {"never", sg::EngageMode::kNever}},
          CLI::ignore_case));
  run_cmd->add_option("--handoff", run.handoff, "how valid ACKs become sockets")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, sg::HandoffMode>{{"auto", sg::HandoffMode::kAuto},
                                                 {"reqsk", sg::HandoffMode::kReqsk},
                                                 {"kernel-cookie", sg::HandoffMode::kKernelCookie}},
          CLI::ignore_case));
  run_cmd->add_option("--xdp-mode", run.xdp_mode, "XDP attach mode (auto: native, else skb)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, sg::XdpMode>{{"auto", sg::XdpMode::kAuto},
                                             {"native", sg::XdpMode::kNative},
                                             {"skb", sg::XdpMode::kSkb}},
          CLI::ignore_case));
  run_cmd->add_option("--metrics-listen", run.metrics_listen, "Prometheus endpoint ADDR:PORT");
  run_cmd
      ->add_option("--cookie-max-age", run.cookies.max_age_seconds,
                   "seconds a cookie stays valid (at most 1.5x this)")
      ->check(CLI::Range(4, 240));
  run_cmd->add_option("--ttl", run.cookies.ttl, "TTL / hop limit of SYN+ACKs")
      ->check(CLI::Range(1, 255));

  CLI11_PARSE(app, argc, argv);

  if (run_cmd->parsed()) return sg::RunForeground(run);
  return 0;
}
