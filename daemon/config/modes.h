// The config's choices, each an enum with its words next to it (the only
// place they are spelled: config/names.h reads them both ways). Small on
// purpose: the config, the CLI and the status command name them without
// pulling in the skeletons.
#pragma once

#include <array>

#include "config/names.h"

namespace sg {

// How XDP attaches: auto tries native, then falls back to skb.
enum class XdpMode { kAuto, kNative, kSkb };
template <>
struct EnumNames<XdpMode> {
  static constexpr std::array<Name<XdpMode>, 3> kTable{
      {{XdpMode::kAuto, "auto"}, {XdpMode::kNative, "native"}, {XdpMode::kSkb, "skb"}}};
};

// How a valid cookie ACK becomes a socket.
enum class HandoffMode { kAuto, kReqsk, kKernelCookie };
template <>
struct EnumNames<HandoffMode> {
  static constexpr std::array<Name<HandoffMode>, 3> kTable{
      {{HandoffMode::kAuto, "auto"},
       {HandoffMode::kReqsk, "reqsk"},
       {HandoffMode::kKernelCookie, "kernel-cookie"}}};
};

// When cookies answer SYNs to a port.
enum class EngageMode { kAlways, kAuto, kNever };
template <>
struct EnumNames<EngageMode> {
  static constexpr std::array<Name<EngageMode>, 3> kTable{{{EngageMode::kAlways, "always"},
                                                           {EngageMode::kAuto, "auto"},
                                                           {EngageMode::kNever, "never"}}};
};

// What a crash of the daemon (kill -9, OOM, a bug) leaves on the interfaces.
enum class OnCrash {
  // The XDP link is pinned while running: the program outlives the process
  // and keeps answering SYNs; a restart takes it over without a gap.
  kKeepProtecting,
  // The link is held by the process only: it dies with it, and the kernel
  // answers SYNs again. leave_pinned_on_exit still pins it at a clean stop.
  kFailOpen,
};
template <>
struct EnumNames<OnCrash> {
  static constexpr std::array<Name<OnCrash>, 2> kTable{
      {{OnCrash::kKeepProtecting, "keep_protecting"}, {OnCrash::kFailOpen, "fail_open"}}};
};

// What the daemon does when a protected interface disappears while attached
// (deleted, or deleted and re-created: either way its XDP program and TC
// filter go with the device).
enum class OnInterfaceLoss {
  // Log it once, keep the maps (ports, secrets, counters), and attach again
  // when an interface of that name appears; the other interfaces go on.
  kWait,
  // Log it and stop as on SIGTERM, with exit code 3 (kExitInterfaceLost),
  // for a supervisor to act on.
  kExit,
};
template <>
struct EnumNames<OnInterfaceLoss> {
  static constexpr std::array<Name<OnInterfaceLoss>, 2> kTable{
      {{OnInterfaceLoss::kWait, "wait"}, {OnInterfaceLoss::kExit, "exit"}}};
};

// Where the cookie secrets come from (secrets.source; not secrets/secret_source.h,
// which makes them).
enum class SecretsSource { kRandom, kKeyFile };
template <>
struct EnumNames<SecretsSource> {
  static constexpr std::array<Name<SecretsSource>, 2> kTable{
      {{SecretsSource::kRandom, "random"}, {SecretsSource::kKeyFile, "key_file"}}};
};

}  // namespace sg
