#include "secrets/random_secret.h"

#include <sys/random.h>

#include <cerrno>

namespace sg {

Result<sg_secret> RandomSecret() {
  sg_secret s{};
  uint64_t key[2];
  size_t got = 0;
  while (got < sizeof(key)) {
    ssize_t n = getrandom(reinterpret_cast<char*>(key) + got, sizeof(key) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno("read the kernel's random source (getrandom)");
    }
    got += static_cast<size_t>(n);
  }
  s.k0 = key[0];
  s.k1 = key[1];
  return s;
}

}  // namespace sg
