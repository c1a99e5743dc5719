// What a synguard left attached in this network namespace, found and taken
// off without loading its programs: by `synguard cleanup`, and by a daemon
// that starts in a mode without a TC program after a reqsk run was killed.
// Ours is recognised by program name (and, for the TC filter, handle and
// priority too): the handle and priority alone are no proof.
#pragma once

#include <cstdint>
#include <string>

#include "util/result.h"

namespace sg {

// The handoff filter's identity at TC ingress: handle "SG", priority 1.
inline constexpr uint32_t kTcHandoffHandle = 0x5347;
inline constexpr uint32_t kTcHandoffPriority = 1;
// The kernel keeps the first 15 bytes of a program's name; these fit.
inline constexpr const char* kXdpProgName = "synguard_xdp";
inline constexpr const char* kTcProgName = "synguard_tc";

// The XDP link pinned at path: the device it runs on (0: the device is
// gone, and the program with it). An error: no link there (or not XDP).
Result<uint32_t> PinnedXdpLinkIfindex(const std::string& path);
// Detaches the XDP link pinned at path from its device now, even while
// something else still holds the link; the pin itself stays (unlink it).
Status DetachPinnedXdpLink(const std::string& path);

// The id of the XDP link through which synguard's program runs on ifindex;
// 0 when no synguard program runs there. An error when one runs but not
// through a link (synguard only ever attaches through links).
Result<uint32_t> SynguardXdpLink(int ifindex);
// Detaches the link with that id (SynguardXdpLink()).
Status DetachXdpLink(uint32_t link_id);

// The id of the program in the filter at our handle and priority at
// ifindex's ingress (anyone's: see HasSynguardTcFilter). The error keeps the
// kernel's errno: ENOENT no such filter, EINVAL no clsact qdisc or a filter
// there that is not BPF, ENODEV no such device.
Result<uint32_t> TcHandoffFilterProgId(int ifindex);
// synguard's handoff filter is at ifindex's ingress.
bool HasSynguardTcFilter(int ifindex);
// Removes it if it is there (and is synguard's); Ok when it is not.
Status RemoveSynguardTcFilter(int ifindex);

// ifindex has a clsact qdisc (an RTM_GETQDISC dump, in qdisc_dump.cc).
Result<bool> HasClsact(int ifindex);
// Removes ifindex's clsact qdisc, with every filter on it.
Status RemoveClsact(int ifindex);

}  // namespace sg
