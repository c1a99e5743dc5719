#include "secrets/fleet_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>

#include "util/unique_fd.h"

namespace sg {

namespace {

constexpr size_t kKeyBytes = 16;
// Anything longer is not a key file; refuse before reading it all.
constexpr size_t kMaxFileBytes = 256;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

uint64_t Le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

std::string Octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", mode & 07777);
  return buf;
}

}  // namespace

Result<FleetKey> ParseFleetKey(std::string_view contents, const std::string& source) {
  std::array<uint8_t, kKeyBytes> bytes{};
  if (contents.size() == kKeyBytes) {
    std::memcpy(bytes.data(), contents.data(), kKeyBytes);
  } else {
    while (!contents.empty() && IsSpace(contents.front())) contents.remove_prefix(1);
    while (!contents.empty() && IsSpace(contents.back())) contents.remove_suffix(1);
    // Only lengths and positions in errors: the contents are (nearly) a key.
    if (contents.size() != 2 * kKeyBytes)
      return Error("fleet key file " + source + ": expected 32 hex digits or 16 raw bytes, found " +
                   std::to_string(contents.size()) + " characters");
    for (size_t i = 0; i < kKeyBytes; ++i) {
      int hi = HexDigit(contents[2 * i]), lo = HexDigit(contents[2 * i + 1]);
      if (hi < 0 || lo < 0)
        return Error("fleet key file " + source + ": character " +
                     std::to_string(2 * i + (hi < 0 ? 1 : 2)) + " is not a hex digit");
      bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
  }
  FleetKey key{Le64(bytes.data()), Le64(bytes.data() + 8)};
  bytes.fill(0);
  if (key.k0 == 0 && key.k1 == 0)
    return Error("fleet key file " + source +
                 ": the key is all zeros; generate one with "
                 "`head -c 16 /dev/urandom | xxd -p`");
  return key;
}

Result<FleetKey> LoadFleetKey(const std::string& path) {
  // Symlinks are followed (Kubernetes mounts secrets through them); the
  // checks below are on the file actually opened.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return Error::FromErrno("open fleet key file " + path);
  struct stat st {};
  if (fstat(fd.get(), &st) < 0) return Error::FromErrno("stat fleet key file " + path);
  if (!S_ISREG(st.st_mode)) return Error("fleet key file " + path + " is not a regular file");
  if (st.st_uid != 0 && st.st_uid != geteuid())
    return Error("fleet key file " + path + " is owned by uid " + std::to_string(st.st_uid) +
                 ": it must belong to root or to the user synguard runs as (uid " +
                 std::to_string(geteuid()) + ")");
  if ((st.st_mode & 077) != 0)
    return Error("fleet key file " + path + " has mode " + Octal(st.st_mode) +
                 ": group and others must have no access; chmod 600 " + path);
  if (static_cast<size_t>(st.st_size) > kMaxFileBytes)
    return Error("fleet key file " + path + ": " + std::to_string(st.st_size) +
                 " bytes is too long for a key (expected 32 hex digits or 16 raw bytes)");

  std::array<char, kMaxFileBytes + 1> buf{};
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno("read fleet key file " + path);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  Result<FleetKey> key = ParseFleetKey(std::string_view(buf.data(), got), path);
  buf.fill(0);
  return key;
}

sg_secret DeriveFleetSecret(const FleetKey& key, uint64_t epoch) {
  // A domain label, so that this key cannot be made to produce the same
  // output for some other use of the same file.
  static constexpr char kLabel[] = "synguard-v1";
  constexpr size_t kLabelLen = sizeof(kLabel) - 1;
  uint8_t msg[kLabelLen + 8 + 1];
  std::memcpy(msg, kLabel, kLabelLen);
  for (int i = 0; i < 8; ++i) msg[kLabelLen + i] = static_cast<uint8_t>(epoch >> (8 * i));
  sg_secret s{};
  msg[kLabelLen + 8] = 0;
  s.k0 = sg_siphash24_bytes(key.k0, key.k1, msg, sizeof(msg));
  msg[kLabelLen + 8] = 1;
  s.k1 = sg_siphash24_bytes(key.k0, key.k1, msg, sizeof(msg));
  return s;
}

}  // namespace sg
