#include "system/bpffs.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

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

std::optional<std::string> FirstDenied(const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    if (access(p.c_str(), R_OK | X_OK) != 0 && (errno == EACCES || errno == EPERM)) return p;
  }
  return std::nullopt;
}

Result<std::string> PinRootFor(const std::string& pin_dir) {
  Result<uint64_t> ino = NetnsInode();
  if (!ino) return ino.take_error();
  return pin_dir + "/" + std::to_string(*ino);
}

Result<PinRoot> PreparePinRoot(const std::string& pin_dir) {
  PinRoot out;
  const std::string bpffs = kBpffs;
  if (pin_dir.rfind(bpffs + "/", 0) == 0 && !OnBpffs(bpffs)) {
    if (Status s = MakeDirs(bpffs); !s) return s.take_error();
    if (mount("bpf", kBpffs, "bpf", 0, "mode=0700") < 0)
      return Error::FromErrno("mount the BPF filesystem at /sys/fs/bpf");
    out.mounted_here = true;
  }
  Result<std::string> root = PinRootFor(pin_dir);
  if (!root) return root.take_error();
  // The nearest directory that exists decides: a pin_dir on another
  // filesystem is refused before anything is made in it.
  std::string existing = *root;
  std::vector<std::string> missing;
  struct stat st {};
  while (!existing.empty() && stat(existing.c_str(), &st) != 0) {
    missing.insert(missing.begin(), existing);
    const size_t slash = existing.find_last_of('/');
    existing = slash == 0 ? "/" : existing.substr(0, slash);
    if (slash == std::string::npos) existing.clear();
  }
  if (existing.empty() || !OnBpffs(existing))
    return Error(pin_dir + " is not on a BPF filesystem (bpffs)");
  for (const std::string& d : missing) {
    if (mkdir(d.c_str(), 0700) < 0 && errno != EEXIST) {
      Error e = Error::FromErrno("create directory " + d);
      RemoveCreatedDirs(out);
      return e;
    }
    out.created.push_back(d);
  }
  out.path = *root;
  return out;
}

void RemoveCreatedDirs(const PinRoot& root) {
  for (auto it = root.created.rbegin(); it != root.created.rend(); ++it) rmdir(it->c_str());
}

PinLifetime PinsOutliveProcess(const PinRoot& root, const std::string& proc) {
  if (!root.mounted_here) return {};
  struct stat self {};
  struct stat init {};
  const bool known = stat((proc + "/self/ns/mnt").c_str(), &self) == 0 &&
                     stat((proc + "/1/ns/mnt").c_str(), &init) == 0;
  if (known && self.st_ino == init.st_ino) return {};  // mounted for the whole host
  return {.survives = false,
          .reason = std::string("the BPF filesystem at /sys/fs/bpf was not mounted here, so "
                                "synguard mounted one itself in a mount namespace ") +
                    (known ? "of its own" : "that may be its own") +
                    " (`ip netns exec` remounts /sys privately): its pins, the XDP link "
                    "among them, are gone when this process is"};
}

}  // namespace sg
