// The name of an XDP action, for messages and reports.
#pragma once

#include <linux/bpf.h>

#include <cstdint>

namespace sg {

inline const char* XdpActionName(uint32_t action) {
  switch (action) {
    case XDP_ABORTED:
      return "XDP_ABORTED";
    case XDP_DROP:
      return "XDP_DROP";
    case XDP_PASS:
      return "XDP_PASS";
    case XDP_TX:
      return "XDP_TX";
    case XDP_REDIRECT:
      return "XDP_REDIRECT";
  }
  return "XDP_?";
}

}  // namespace sg
