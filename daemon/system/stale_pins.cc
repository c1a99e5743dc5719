#include "system/stale_pins.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

namespace sg {

namespace {

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') out.emplace_back(e->d_name);
    closedir(d);
  }
  return out;
}

bool AllDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

Status RemovePinTree(const std::string& path) {
  Status first;
  auto note = [&](Status s) {
    if (first && !s) first = std::move(s);
  };
  for (const std::string& e : Entries(path)) {
    std::string p = path + "/" + e;
    struct stat st {};
    if (lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      note(RemovePinTree(p));
    else if (unlink(p.c_str()) != 0 && errno != ENOENT)
      note(Error::FromErrno("remove the pin " + p));
  }
  if (rmdir(path.c_str()) != 0 && errno != ENOENT) note(Error::FromErrno("remove " + path));
  return first;
}

std::set<uint64_t> LiveNetnsInodes(const std::string& proc, const std::string& run_netns) {
  std::set<uint64_t> live;
  struct stat st {};
  for (const std::string& pid : Entries(proc)) {
    if (!AllDigits(pid)) continue;
    if (stat((proc + "/" + pid + "/ns/net").c_str(), &st) == 0) live.insert(st.st_ino);
  }
  for (const std::string& name : Entries(run_netns))
    if (stat((run_netns + "/" + name).c_str(), &st) == 0) live.insert(st.st_ino);
  return live;
}

std::vector<std::string> PruneStalePins(const std::string& pin_dir, const std::string& state_dir,
                                        const std::set<uint64_t>& live) {
  std::vector<std::string> removed;
  // Nothing seen alive means we could not look: keep everything.
  if (live.empty()) return removed;
  for (const std::string& e : Entries(pin_dir)) {
    if (!AllDigits(e) || live.count(std::stoull(e))) continue;
    (void)RemovePinTree(pin_dir + "/" + e);  // best effort, as at every start
    removed.push_back(pin_dir + "/" + e);
  }
  // <inode>.json (the state file), <inode>.restore.json (the restore
  // record: the sysctls it guards went with the namespace) and <inode>.lock
  // (system/instance_lock.h: nobody can hold it any more).
  auto strip = [](std::string& name, const std::string& suffix) {
    if (name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      return false;
    name.resize(name.size() - suffix.size());
    return true;
  };
  for (const std::string& e : Entries(state_dir)) {
    std::string ino = e;
    if (strip(ino, ".json"))
      strip(ino, ".restore");
    else if (!strip(ino, ".lock"))
      continue;
    if (!AllDigits(ino) || live.count(std::stoull(ino))) continue;
    unlink((state_dir + "/" + e).c_str());
    removed.push_back(state_dir + "/" + e);
  }
  return removed;
}

}  // namespace sg
