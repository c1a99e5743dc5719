// The TCP option readers (include/synguard/tcp_options.h) exactly as the XDP
// and TC programs run them: the fast word reader must give the general walk's
// answer whenever it answers at all, must answer for the layouts real stacks
// send, and neither may read a byte past the end of the frame.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "synguard/shared.h"

namespace {

struct Parsed {
  sg_syn_opts opts{};
  uint32_t tsecr = 0;
  bool operator==(const Parsed& o) const {
    return std::memcmp(&opts, &o.opts, sizeof(opts)) == 0 && tsecr == o.tsecr;
  }
};

sg_opt_walk Walk(const uint8_t* opts, const void* end, uint32_t len, sg_syn_opts* out) {
  return sg_opt_walk{opts, end, 0, len, out, 0};
}

// The general walk as the BPF program drives it: bpf_loop(40, step).
Parsed General(const uint8_t* opts, const void* end, uint32_t len) {
  Parsed r;
  sg_opt_walk w = Walk(opts, end, len, &r.opts);
  for (int i = 0; i < SG_TCP_MAX_OPTLEN && !sg_tcp_option_step(&w); ++i) {
  }
  r.tsecr = w.tsecr;
  return r;
}

// The fast reader; nullopt-like: ok = false when it gave up.
bool Fast(const uint8_t* opts, const void* end, uint32_t len, Parsed* r) {
  *r = Parsed{};
  sg_opt_walk w = Walk(opts, end, len, &r->opts);
  bool ok = sg_tcp_options_fast(&w);
  r->tsecr = w.tsecr;
  return ok;
}

Parsed General(const std::vector<uint8_t>& b) {
  return General(b.data(), b.data() + b.size(), b.size());
}
bool Fast(const std::vector<uint8_t>& b, Parsed* r) {
  return Fast(b.data(), b.data() + b.size(), b.size(), r);
}

std::vector<uint8_t> Bytes(std::initializer_list<int> v) {
  return std::vector<uint8_t>(v.begin(), v.end());
}

struct Layout {
  const char* stack;
  std::vector<uint8_t> opts;
  uint16_t mss;
  int wscale;  // -1: none
  bool sack, ts;
};

// SYN option layouts as the stacks send them (from captures).
std::vector<Layout> RealLayouts() {
  return {
      {"Linux", Bytes({2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}), 1460, 7,
       true, true},
      {"Linux, no SACK", Bytes({2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}),
       1460, 7, false, true},
      {"Linux, no timestamps", Bytes({2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7}), 1460, 7, true,
       false},
      {"Windows", Bytes({2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2}), 1460, 8, true, false},
      {"macOS",
       Bytes({2, 4, 0x05, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 4, 2, 0, 0}), 1460,
       6, true, true},
      {"FreeBSD", Bytes({2, 4, 0x05, 0xb4, 1, 3, 3, 6, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0}), 1460,
       6, true, true},
      {"MSS only", Bytes({2, 4, 0x05, 0xb4}), 1460, -1, false, false},
      {"ACK timestamps", Bytes({1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 9}), 0, -1, false, true},
  };
}

TEST(TcpOptionsFast, ReadsEveryRealLayoutLikeTheGeneralWalk) {
  for (const Layout& l : RealLayouts()) {
    SCOPED_TRACE(l.stack);
    Parsed fast;
    ASSERT_TRUE(Fast(l.opts, &fast));
    EXPECT_EQ(fast, General(l.opts));
    EXPECT_EQ(fast.opts.mss, l.mss);
    EXPECT_EQ(fast.opts.wscale_ok, l.wscale >= 0);
    if (l.wscale >= 0) {
      EXPECT_EQ(fast.opts.wscale, l.wscale);
    }
    EXPECT_EQ(fast.opts.sack_ok, l.sack);
    EXPECT_EQ(fast.opts.ts_ok, l.ts);
    if (l.ts) {
      EXPECT_EQ(fast.opts.tsval, 1u);
      EXPECT_EQ(fast.tsecr, l.stack == std::string("ACK timestamps") ? 9u : 0u);
    }
  }
}

TEST(TcpOptionsFast, GivesUpOnWhatItDoesNotKnow) {
  const std::vector<std::vector<uint8_t>> others = {
      Bytes({1, 2, 4, 0x05, 0xb4, 1, 1, 1}),         // MSS off the word boundary
      Bytes({2, 4, 0x05, 0xb4, 30, 4, 0, 0}),        // an unknown kind
      Bytes({2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0}),  // timestamps cut by the end
      Bytes({2, 4, 0x05, 0xb4, 1, 3, 3}),            // window scale cut
      Bytes({2, 5, 0x05, 0xb4, 0, 0, 0, 0}),         // a wrong MSS length
      Bytes({4, 2, 1, 1, 3, 3, 7, 1}),               // SACK, NOP, NOP, then WS unaligned
      Bytes({1, 1, 1, 0, 2, 4, 0x05, 0xb4}),         // EOL inside a word
  };
  for (const auto& o : others) {
    Parsed fast;
    EXPECT_FALSE(Fast(o, &fast)) << "layout of " << o.size() << " bytes";
  }
}

TEST(TcpOptionsFast, EndOfListStopsBothReaders) {
  // Anything after an end-of-list is not an option: a MSS there is ignored.
  auto o = Bytes({1, 3, 3, 9, 0, 0, 0, 0, 2, 4, 0x05, 0xb4});
  Parsed fast;
  ASSERT_TRUE(Fast(o, &fast));
  EXPECT_EQ(fast, General(o));
  EXPECT_EQ(fast.opts.mss, 0);
  EXPECT_EQ(fast.opts.wscale, 9);
}

// Random option areas from tokens (real option words, odd bytes, broken
// lengths) and plain random bytes: whenever the fast reader answers, the
// general walk agrees; and it answers for a fair share of them, or the
// comparison would prove nothing.
TEST(TcpOptionsFast, AgreesWithTheGeneralWalkOnRandomOptions) {
  const std::vector<std::vector<uint8_t>> tokens = {
      Bytes({2, 4, 0x05, 0xb4}),
      Bytes({2, 4, 0x23, 0x28}),
      Bytes({1, 3, 3, 14}),
      Bytes({1, 3, 3, 15}),
      Bytes({4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8}),
      Bytes({1, 1, 8, 10, 9, 8, 7, 6, 5, 4, 3, 2}),
      Bytes({1, 1, 4, 2}),
      Bytes({4, 2, 0, 0}),
      Bytes({0, 0, 0, 0}),
      Bytes({1, 1, 1, 1}),
      Bytes({1}),
      Bytes({0}),
      Bytes({3, 3, 5}),
      Bytes({4, 2}),
      Bytes({8, 10}),
      Bytes({2, 4}),
      Bytes({30, 2}),
      Bytes({2, 0}),
      Bytes({5, 10, 0, 0, 0, 1, 0, 0, 0, 2}),
  };
  std::mt19937 rng(20261121);
  uint64_t answered = 0, total = 0;
  for (int n = 0; n < 300000; ++n) {
    std::vector<uint8_t> o;
    if (n % 4 == 0) {
      o.resize(rng() % 41);
      for (auto& b : o) b = static_cast<uint8_t>(rng() % 12);
    } else {
      while (o.size() < 40 && rng() % 8 != 0) {
        const auto& t = tokens[rng() % tokens.size()];
        o.insert(o.end(), t.begin(), t.end());
      }
      o.resize(std::min<size_t>(o.size(), 40));
      if (rng() % 2) o.resize(o.size() & ~size_t{3});  // data offsets give multiples of 4
    }
    Parsed fast;
    ++total;
    if (Fast(o, &fast)) {
      ++answered;
      ASSERT_EQ(fast, General(o)) << "case " << n << ", " << o.size() << " bytes";
    }
  }
  EXPECT_GT(answered, total / 5) << "the fast reader answered " << answered << " of " << total;
}

// Both readers on option bytes that end exactly at an unreadable page: a
// read past the frame's end is a crash, not a silent wrong answer.
TEST(TcpOptionsFast, NeitherReaderReadsPastTheFrame) {
  const long page = sysconf(_SC_PAGESIZE);
  void* m = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  auto* base = static_cast<uint8_t*>(m);
  ASSERT_EQ(mprotect(base + page, page, PROT_NONE), 0);
  const uint8_t* end = base + page;
  for (const Layout& l : RealLayouts()) {
    // The frame ends inside the options: the header claims more than there is.
    for (size_t cut = 0; cut <= l.opts.size(); ++cut) {
      uint8_t* start = base + page - cut;
      std::memcpy(start, l.opts.data(), cut);
      Parsed fast;
      bool ok = Fast(start, end, l.opts.size(), &fast);
      Parsed general = General(start, end, l.opts.size());
      if (ok) {
        EXPECT_EQ(fast, general) << l.stack << " cut at " << cut;
      }
    }
  }
  munmap(m, 2 * page);
}

}  // namespace
