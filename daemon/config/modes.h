// The two choices that shape a loaded datapath: how XDP attaches and how a
// valid cookie ACK becomes a socket. Small on purpose: the config, the CLI
// and the status command name them without pulling in the skeletons.
#pragma once

namespace sg {

enum class XdpMode { kAuto, kNative, kSkb };
enum class HandoffMode { kAuto, kReqsk, kKernelCookie };

const char* ToString(XdpMode m);
const char* ToString(HandoffMode m);

}  // namespace sg
