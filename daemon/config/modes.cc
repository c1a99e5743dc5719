#include "config/modes.h"

namespace sg {

const char* ToString(XdpMode m) {
  switch (m) {
    case XdpMode::kAuto:
      return "auto";
    case XdpMode::kNative:
      return "native";
    case XdpMode::kSkb:
      return "skb";
  }
  return "?";
}

const char* ToString(HandoffMode m) {
  switch (m) {
    case HandoffMode::kAuto:
      return "auto";
    case HandoffMode::kReqsk:
      return "reqsk";
    case HandoffMode::kKernelCookie:
      return "kernel-cookie";
  }
  return "?";
}

}  // namespace sg
