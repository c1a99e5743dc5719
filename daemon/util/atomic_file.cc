#include "util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "util/unique_fd.h"

namespace sg {

namespace {

Status WriteAll(int fd, std::string_view data, const std::string& name) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::FromErrno("write " + name);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Ok();
}

Status WriteAndSync(const std::string& tmp, std::string_view contents) {
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (!fd.valid()) return Error::FromErrno("create " + tmp);
  if (Status s = WriteAll(fd.get(), contents, tmp); !s) return s;
  if (fsync(fd.get()) != 0) return Error::FromErrno("fsync " + tmp);
  return Ok();
}

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string AtomicTempPath(const std::string& path) { return path + ".tmp"; }

Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  const std::string tmp = AtomicTempPath(path);
  if (Status s = WriteAndSync(tmp, contents); !s) {
    unlink(tmp.c_str());
    return s;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = Error::FromErrno("rename " + tmp + " to " + path);
    unlink(tmp.c_str());
    return e;
  }
  // The rename itself survives a power loss only once the directory is on
  // disk; best effort (a tmpfs such as /run has nothing to flush).
  UniqueFd dir(open(DirOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) (void)fsync(dir.get());
  return Ok();
}

}  // namespace sg
