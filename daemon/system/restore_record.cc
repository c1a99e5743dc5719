#include "system/restore_record.h"

#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "system/bpffs.h"
#include "util/atomic_file.h"
#include "util/json.h"
#include "util/unique_fd.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71  // Linux 5.14; older libc headers lack the name
#endif

namespace sg {

std::string RestoreRecordPath(const std::string& state_dir, uint64_t netns_inode) {
  return state_dir + "/" + std::to_string(netns_inode) + ".restore.json";
}

namespace {

// tmpfs and ramfs are empty after every boot: a record found there was
// written during this one.
bool EmptiedAtBoot(const std::string& dir) {
  struct statfs fs {};
  return !dir.empty() && statfs(dir.c_str(), &fs) == 0 &&
         (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC);
}

}  // namespace

std::string NetnsIdentity(const std::string& state_dir) {
  std::string boot;
  if (EmptiedAtBoot(state_dir))
    boot = "this-boot";
  else
    std::ifstream("/proc/sys/kernel/random/boot_id") >> boot;
  UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  uint64_t cookie = 0;
  socklen_t len = sizeof(cookie);
  if (boot.empty() || !fd.valid() ||
      getsockopt(fd.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0)
    return "";
  return boot + "/" + std::to_string(cookie);
}

bool RecordedHere(const RestoreState& s, const std::string& me) {
  return s.netns_id.empty() || me.empty() || s.netns_id == me;
}

std::string RestoreToJson(const RestoreState& s) {
  Json j = {{"netns_id", s.netns_id}, {"sysctls", Json::array()}, {"clsact", s.clsact}};
  for (const SavedSysctl& v : s.sysctls)
    j["sysctls"].push_back({{"name", v.name}, {"original", v.original}, {"set", v.set}});
  return JsonText(j);
}

Result<RestoreState> ParseRestore(const std::string& text, const std::string& source) {
  auto damaged = [&](const std::string& why) {
    return Error("restore record " + source + " is damaged: " + why);
  };
  Result<Json> parsed = ParseJson(text);
  if (!parsed) return damaged(parsed.error().what());
  const Json& n = *parsed;
  if (!n.is_object()) return damaged("not a JSON object");
  RestoreState s;
  s.netns_id = JsonField(n, "netns_id", std::string());
  for (const Json& e : JsonArray(n, "sysctls")) {
    SavedSysctl v{JsonField(e, "name", std::string()), JsonField(e, "original", std::string()),
                  JsonField(e, "set", std::string())};
    if (v.name.empty()) return damaged("a sysctl without a name");
    s.sysctls.push_back(std::move(v));
  }
  for (const Json& e : JsonArray(n, "clsact")) {
    if (!e.is_string()) return damaged("an interface name that is not a string");
    s.clsact.push_back(e.get<std::string>());
  }
  return s;
}

Result<RestoreState> ReadRestoreRecord(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return RestoreState{};
    return Error::FromErrno("read the restore record " + path);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseRestore(ss.str(), path);
}

Status WriteRestoreRecord(const std::string& path, const RestoreState& s) {
  if (s.empty()) {
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
      return Error::FromErrno("remove the restore record " + path);
    return Ok();
  }
  if (Status st = MakeDirs(path.substr(0, path.rfind('/'))); !st) return st;
  if (Status st = WriteFileAtomically(path, RestoreToJson(s)); !st)
    return st.take_error().Context("write the restore record " + path);
  return Ok();
}

}  // namespace sg
