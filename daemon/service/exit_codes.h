// `synguard run`'s exit codes, as docs/operations.md lists them.
#pragma once

namespace sg {

inline constexpr int kExitOk = 0;             // a clean stop
inline constexpr int kExitRuntime = 1;        // a failure at run time
inline constexpr int kExitConfig = 2;         // a bad config or command line
inline constexpr int kExitInterfaceLost = 3;  // on_interface_loss: exit

}  // namespace sg
