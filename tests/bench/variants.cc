#include "variants.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <map>

#include "synguard/shared.h"
// One skeleton per build; tests/bench/CMakeLists.txt makes them (SG_BENCH_SKIP_MASKS).
#include "synguard_xdp_skip_020.skel.h"
#include "synguard_xdp_skip_030.skel.h"
#include "synguard_xdp_skip_070.skel.h"
#include "synguard_xdp_skip_078.skel.h"
#include "synguard_xdp_skip_07c.skel.h"
#include "synguard_xdp_skip_07e.skel.h"
#include "synguard_xdp_skip_07f.skel.h"
#include "synguard_xdp_skip_0ff.skel.h"
#include "synguard_xdp_skip_1ff.skel.h"

namespace sg::bench {

namespace {

// The bits of bpf/lib/bench_skip.h (a BPF header: not included here).
constexpr uint32_t kOptions = 1u << 0, kLocal = 1u << 1, kListener = 1u << 2, kSocket = 1u << 3,
                   kHash = 1u << 4, kCsum = 1u << 5, kSynack = 1u << 6, kTcMark = 1u << 7,
                   kCounters = 1u << 8;

// The loaded real program's maps, by name.
Result<std::map<std::string, int>> MapsOf(int prog_fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
    return Error::FromErrno("read the XDP program's info");
  std::vector<uint32_t> ids(info.nr_map_ids);
  info = {};
  info.nr_map_ids = static_cast<uint32_t>(ids.size());
  info.map_ids = reinterpret_cast<uint64_t>(ids.data());
  len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
    return Error::FromErrno("read the XDP program's map ids");
  std::map<std::string, int> out;
  for (uint32_t id : ids) {
    int fd = bpf_map_get_fd_by_id(id);
    if (fd < 0) return Error::FromErrno("open map id " + std::to_string(id));
    bpf_map_info mi{};
    uint32_t mlen = sizeof(mi);
    if (bpf_obj_get_info_by_fd(fd, &mi, &mlen)) return Error::FromErrno("read a map's info");
    out[mi.name] = fd;  // left open for the process's life
  }
  return out;
}

template <class S>
Result<LoadedVariant> Load(uint32_t mask, S* (*open)(), int (*load)(S*), void (*destroy)(S*),
                           const std::map<std::string, int>& maps, bool frags,
                           uint32_t cookie_result) {
  const std::string what = "the breakdown build SG_BENCH_SKIP=" + std::to_string(mask);
  S* s = open();
  if (!s) return Error::FromErrno("open " + what);
  LoadedVariant v;
  v.mask = mask;
  v.owner = std::shared_ptr<void>(s, [destroy](void* p) { destroy(static_cast<S*>(p)); });
  s->rodata->sg_handoff_mode = SG_HANDOFF_REQSK;
  // Present once synguard_xdp.bpf.c includes lib/bench_skip.h.
  if constexpr (requires { s->rodata->sg_bench_cookie_result; }) {
    s->rodata->sg_bench_cookie_result = cookie_result;
    v.forcible = true;
  }
  if (frags)
    bpf_program__set_flags(s->progs.synguard_xdp,
                           bpf_program__flags(s->progs.synguard_xdp) | BPF_F_XDP_HAS_FRAGS);
  bpf_map* map;
  bpf_object__for_each_map(map, s->obj) {
    if (bpf_map__is_internal(map)) continue;
    std::string name = bpf_map__name(map);
    auto it = maps.find(name.substr(0, BPF_OBJ_NAME_LEN - 1));
    if (it == maps.end()) continue;  // a map the real program does not use
    if (int err = bpf_map__reuse_fd(map, it->second))
      return Error("share map " + name + " with " + what, err);
  }
  if (int err = load(s)) return Error("load " + what, err);
  v.prog_fd = bpf_program__fd(s->progs.synguard_xdp);
  return v;
}

#define SG_VARIANT(hex)                                                   \
  Load<synguard_xdp_skip_##hex>(0x##hex, synguard_xdp_skip_##hex##__open, \
                                synguard_xdp_skip_##hex##__load,          \
                                synguard_xdp_skip_##hex##__destroy, *maps, frags, cookie_result)

}  // namespace

const std::vector<VariantStep>& VariantSteps() {
  // Each mask is the one before it with one more stage out: the order goes
  // from the end of the SYN path back to its start, except that the cookie
  // goes before the rewrite (without the rewrite, nothing reads the cookie
  // and the compiler would drop it with the rewrite). The rewrite's row
  // holds what only the SYN+ACK reads (its TSval's clock).
  static const std::vector<VariantStep> steps = {
      {0x020, kCsum, "SYN+ACK checksums", true, false},
      {0x030, kHash, "cookie: SipHash, encode / check", true, true},
      {0x070, kSynack, "SYN+ACK rewrite, without checksums", true, false},
      {0x078, kSocket, "live-tuple and listener check (socket lookup)", true, true},
      {0x07c, kListener, "listener check (its own part)", true, true},
      {0x07e, kLocal, "destination / source checks", true, true},
      {0x07f, kOptions, "SYN options", true, false},
      {0x0ff, kTcMark, "metadata word for TC", false, true},
      {0x1ff, kCounters, "counters", true, true},
  };
  return steps;
}

Result<std::vector<LoadedVariant>> LoadVariants(int main_prog_fd, bool frags,
                                                uint32_t cookie_result) {
  Result<std::map<std::string, int>> maps = MapsOf(main_prog_fd);
  if (!maps) return maps.take_error();
  std::vector<Result<LoadedVariant>> loaded;
  loaded.push_back(SG_VARIANT(020));
  loaded.push_back(SG_VARIANT(030));
  loaded.push_back(SG_VARIANT(070));
  loaded.push_back(SG_VARIANT(078));
  loaded.push_back(SG_VARIANT(07c));
  loaded.push_back(SG_VARIANT(07e));
  loaded.push_back(SG_VARIANT(07f));
  loaded.push_back(SG_VARIANT(0ff));
  loaded.push_back(SG_VARIANT(1ff));
  std::vector<LoadedVariant> out;
  for (size_t i = 0; i < loaded.size(); ++i) {
    if (!loaded[i]) return loaded[i].take_error();
    if (loaded[i]->mask != VariantSteps()[i].mask)
      return Error("breakdown builds out of step with VariantSteps()");
    out.push_back(std::move(*loaded[i]));
  }
  return out;
}

}  // namespace sg::bench
