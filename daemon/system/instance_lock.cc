#include "system/instance_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "system/bpffs.h"

namespace sg {

namespace {

flock WholeFile(short type) {
  flock fl{};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;  // to the end, however long
  fl.l_pid = 0;  // required by the OFD commands
  return fl;
}

}  // namespace

std::string InstanceLockPath(const std::string& state_dir, uint64_t netns_inode) {
  return state_dir + "/" + std::to_string(netns_inode) + ".lock";
}

Result<InstanceLock> InstanceLock::Take(const std::string& path) {
  if (Status s = MakeDirs(path.substr(0, path.rfind('/'))); !s) return s.take_error();
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return Error::FromErrno("open the lock file " + path);
  flock fl = WholeFile(F_WRLCK);
  if (fcntl(fd.get(), F_OFD_SETLK, &fl) != 0) {
    const int err = errno == EACCES ? EWOULDBLOCK : errno;
    if (err == EWOULDBLOCK) return Error("lock " + path + ": held by another process", err);
    return Error("lock " + path, err);
  }
  return InstanceLock(std::move(fd));
}

bool InstanceLock::HeldByOther(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return false;  // no file: nobody ever took it here
  flock fl = WholeFile(F_WRLCK);
  if (fcntl(fd.get(), F_OFD_GETLK, &fl) != 0) return false;
  return fl.l_type != F_UNLCK;
}

bool IsSynguardProcess(int64_t pid, uint64_t netns_inode, const std::string& proc) {
  if (pid <= 0 || pid == getpid()) return false;  // `synguard status` is a synguard too
  const std::string dir = proc + "/" + std::to_string(pid);
  std::string comm;
  std::getline(std::ifstream(dir + "/comm"), comm);
  // The kernel keeps the first 15 bytes of the executable's name: a reused
  // pid that now runs something else is not taken for a daemon.
  if (comm.rfind("synguard", 0) != 0) return false;
  struct stat st {};
  if (stat((dir + "/ns/net").c_str(), &st) != 0) return errno == EACCES;  // alive, not ours to see
  return static_cast<uint64_t>(st.st_ino) == netns_inode;
}

bool DaemonRunning(const std::string& state_dir, uint64_t netns_inode,
                   const std::optional<DaemonState>& state) {
  if (InstanceLock::HeldByOther(InstanceLockPath(state_dir, netns_inode))) return true;
  return state && IsSynguardProcess(state->pid, netns_inode);
}

Result<LocalDaemon> FindLocalDaemon(const std::string& state_dir) {
  Result<uint64_t> ino = NetnsInode();
  if (!ino) return ino.take_error();
  LocalDaemon d{.netns_inode = *ino};
  if (Result<DaemonState> s = ReadStateFile(StateFilePath(state_dir, *ino)); s)
    d.state = std::move(*s);
  // The instance lock, or a live synguard at the state file's pid (not
  // merely a live pid: pids are reused).
  d.running = DaemonRunning(state_dir, *ino, d.state);
  return d;
}

}  // namespace sg
