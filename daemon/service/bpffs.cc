#include "service/bpffs.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>

namespace sg {

namespace {
constexpr const char* kBpffs = "/sys/fs/bpf";
}

Result<uint64_t> NetnsInode() {
  struct stat st {};
  if (stat("/proc/self/ns/net", &st) < 0)
    return Error::FromErrno("read this process's network namespace (/proc/self/ns/net)");
  return static_cast<uint64_t>(st.st_ino);
}

bool OnBpffs(const std::string& path) {
  struct statfs fs {};
  return statfs(path.c_str(), &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

Status MakeDirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (mkdir(part.c_str(), 0700) < 0 && errno != EEXIST)
      return Error::FromErrno("create directory " + part);
  }
  return Ok();
}

Result<std::string> PinRootFor(const std::string& pin_dir) {
  Result<uint64_t> ino = NetnsInode();
  if (!ino) return ino.take_error();
  return pin_dir + "/" + std::to_string(*ino);
}

Result<std::string> PreparePinRoot(const std::string& pin_dir) {
  const std::string bpffs = kBpffs;
  if (pin_dir.rfind(bpffs + "/", 0) == 0 && !OnBpffs(bpffs)) {
    if (Status s = MakeDirs(bpffs); !s) return s.take_error();
    if (mount("bpf", kBpffs, "bpf", 0, "mode=0700") < 0)
      return Error::FromErrno("mount the BPF filesystem at /sys/fs/bpf");
  }
  Result<std::string> root = PinRootFor(pin_dir);
  if (!root) return root;
  if (Status s = MakeDirs(*root); !s) return s.take_error();
  if (!OnBpffs(*root)) return Error(*root + " is not on a BPF filesystem (bpffs)");
  return root;
}

}  // namespace sg
