// Makes a BPF hash-like map (hash, LPM trie) hold exactly a wanted set of
// entries, without a moment in which a wanted entry is missing: every
// wanted entry is written first (a changed value is one in-place update),
// then the entries nobody wants any more are removed.
#pragma once

#include <bpf/bpf.h>

#include <cerrno>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace sg {

template <class Key, class Value>
Status SyncMap(int fd, const std::vector<std::pair<Key, Value>>& want, const std::string& what) {
  auto bytes = [](const Key& k) {
    return std::string(reinterpret_cast<const char*>(&k), sizeof(Key));
  };
  for (const auto& [key, value] : want) {
    if (bpf_map_update_elem(fd, &key, &value, BPF_ANY)) return Error::FromErrno("write " + what);
  }
  std::set<std::string> wanted;
  for (const auto& w : want) wanted.insert(bytes(w.first));
  // Collect first: deleting while walking would restart the walk.
  std::vector<Key> stale;
  Key cur{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (!wanted.count(bytes(next))) stale.push_back(next);
    cur = next;
    prev = &cur;
  }
  for (const Key& k : stale) {
    if (bpf_map_delete_elem(fd, &k) && errno != ENOENT)
      return Error::FromErrno("remove a stale entry of " + what);
  }
  return Ok();
}

}  // namespace sg
