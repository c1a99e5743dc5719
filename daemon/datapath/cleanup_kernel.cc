#include "datapath/cleanup_kernel.h"

#include <net/if.h>

#include <string>
#include <vector>

#include "datapath/leftovers.h"

namespace sg {

namespace {

class SystemKernel final : public CleanupKernel {
 public:
  std::vector<std::string> Interfaces() const override {
    std::vector<std::string> out;
    if (struct if_nameindex* all = if_nameindex()) {
      for (struct if_nameindex* i = all; i->if_index != 0; ++i) out.emplace_back(i->if_name);
      if_freenameindex(all);
    }
    return out;
  }
  Result<std::string> PinnedLinkDevice(const std::string& path) const override {
    Result<uint32_t> idx = PinnedXdpLinkIfindex(path);
    if (!idx) return idx.take_error();
    if (*idx == 0) return std::string();
    char name[IF_NAMESIZE] = {};
    // Not found here: pinned from another namespace whose inode this one
    // reuses, or the device went just now. Named by index all the same.
    if (!if_indextoname(*idx, name)) return "ifindex " + std::to_string(*idx);
    return std::string(name);
  }
  Status DetachPinnedLink(const std::string& path) override { return DetachPinnedXdpLink(path); }
  bool XdpAttached(const std::string& ifname) const override {
    int idx = Index(ifname);
    if (!idx) return false;
    // An error (our program there without a link, a failed query) counts
    // as attached: DetachXdp() then says why it cannot take it off.
    Result<uint32_t> link = SynguardXdpLink(idx);
    return !link || *link != 0;
  }
  Status DetachXdp(const std::string& ifname) override {
    int idx = Index(ifname);
    if (!idx) return Ok();  // gone, and the program with it
    Result<uint32_t> link = SynguardXdpLink(idx);
    if (!link) return link.take_error();
    return *link ? DetachXdpLink(*link) : Ok();
  }
  bool TcFilter(const std::string& ifname) const override {
    int idx = Index(ifname);
    return idx && HasSynguardTcFilter(idx);
  }
  Status RemoveTcFilter(const std::string& ifname) override {
    int idx = Index(ifname);
    return idx ? RemoveSynguardTcFilter(idx) : Ok();
  }
  bool Clsact(const std::string& ifname) const override {
    int idx = Index(ifname);
    if (!idx) return false;
    // A failed dump counts as there: RemoveClsact() then reports.
    Result<bool> has = HasClsact(idx);
    return !has || *has;
  }
  Status RemoveClsact(const std::string& ifname) override {
    int idx = Index(ifname);
    return idx ? sg::RemoveClsact(idx) : Ok();
  }

 private:
  static int Index(const std::string& ifname) {
    return static_cast<int>(if_nametoindex(ifname.c_str()));
  }
};

}  // namespace

std::unique_ptr<CleanupKernel> SystemCleanupKernel() { return std::make_unique<SystemKernel>(); }

}  // namespace sg
