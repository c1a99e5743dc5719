#include "service/stale_pins.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>

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

// Pins are files (maps, links) in at most two levels of directories.
void RemoveTree(const std::string& path) {
  for (const std::string& e : Entries(path)) {
    std::string p = path + "/" + e;
    struct stat st {};
    if (lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      RemoveTree(p);
    else
      unlink(p.c_str());
  }
  rmdir(path.c_str());
}

}  // namespace

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
    RemoveTree(pin_dir + "/" + e);
    removed.push_back(pin_dir + "/" + e);
  }
  // <inode>.json (the state file) and <inode>.restore.json (the restore
  // record: the sysctls it guards went with the namespace).
  for (const std::string& e : Entries(state_dir)) {
    if (e.size() < 6 || e.substr(e.size() - 5) != ".json") continue;
    std::string ino = e.substr(0, e.size() - 5);
    if (ino.size() > 8 && ino.substr(ino.size() - 8) == ".restore") ino.resize(ino.size() - 8);
    if (!AllDigits(ino) || live.count(std::stoull(ino))) continue;
    unlink((state_dir + "/" + e).c_str());
    removed.push_back(state_dir + "/" + e);
  }
  return removed;
}

}  // namespace sg
