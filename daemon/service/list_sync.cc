#include "service/list_sync.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>

namespace sg {

namespace {

template <class Key>
std::string Bytes(const Key& k) {
  return std::string(reinterpret_cast<const char*>(&k), sizeof(Key));
}

template <class Key>
Status Sync(int fd, const std::vector<std::pair<Key, uint32_t>>& want, const char* what) {
  for (const auto& [key, value] : want) {
    if (bpf_map_update_elem(fd, &key, &value, BPF_ANY))
      return Error::FromErrno(std::string("write the ") + what + " allow/deny list");
  }
  std::set<std::string> wanted;
  for (const auto& w : want) wanted.insert(Bytes(w.first));
  // Collect first: deleting while walking would restart the walk.
  std::vector<Key> stale;
  Key cur{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (!wanted.count(Bytes(next))) stale.push_back(next);
    cur = next;
    prev = &cur;
  }
  for (const Key& k : stale) {
    if (bpf_map_delete_elem(fd, &k) && errno != ENOENT)
      return Error::FromErrno(std::string("remove an entry from the ") + what + " list");
  }
  return Ok();
}

}  // namespace

ListEntries BuildListEntries(const std::vector<Cidr>& allow, const std::vector<Cidr>& deny) {
  ListEntries e;
  auto add = [&](const Cidr& c, uint32_t value) {
    if (c.family == 4) {
      sg_lpm_v4 k{};
      k.prefixlen = c.prefix_len;
      std::memcpy(k.addr, c.addr.data(), 4);
      e.v4.push_back({k, value});
    } else {
      sg_lpm_v6 k{};
      k.prefixlen = c.prefix_len;
      std::memcpy(k.addr, c.addr.data(), 16);
      e.v6.push_back({k, value});
    }
  };
  for (const Cidr& c : allow) add(c, SG_LIST_ALLOW);
  for (const Cidr& c : deny) add(c, SG_LIST_DENY);
  return e;
}

Status SyncLists(int v4_fd, int v6_fd, const ListEntries& entries) {
  if (Status s = Sync(v4_fd, entries.v4, "IPv4"); !s) return s;
  return Sync(v6_fd, entries.v6, "IPv6");
}

}  // namespace sg
