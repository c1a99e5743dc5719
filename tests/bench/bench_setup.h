// What the benchmark stands on: a private network namespace with a real TCP
// connection over loopback, and the programs loaded and configured.
#pragma once

#include <cstdint>
#include <memory>

#include "bench_progs.skel.h"
#include "bpf/skeleton.h"
#include "datapath/datapath.h"
#include "measure.h"
#include "packets.h"
#include "util/result.h"
#include "util/unique_fd.h"

namespace sg::bench {

// Moves this (single-threaded) process into a new network namespace with
// loopback up. BPF_PROG_TEST_RUN's ingress device is the caller's loopback,
// and socket lookups see the caller's namespace: a private one keeps the
// protected port free and other tests' sockets out of the measurement.
Status EnterPrivateNetns();

// A listener on 127.0.0.1:port (v6: [::1]:port) and one established
// connection to it.
// The bench's client and server addresses, on lo in its namespace
// (EnterPrivateNetns): 10.0.0.1 -> 10.0.0.2, 2001:db8::1 -> 2001:db8::2.
Addr BenchClient(bool v6);
Addr BenchServer(bool v6);

struct LoopbackConnection {
  UniqueFd listener, client, server;
  uint16_t client_port = 0;  // host order
};
Result<LoopbackConnection> OpenLoopbackConnection(uint16_t port, bool v6 = false);

// synguard's programs (reqsk mode) with port protected and engaged, and the
// benchmark's own programs with the reference responder guarding port too.
class Harness {
 public:
  static Result<std::unique_ptr<Harness>> Create(uint16_t port);

  // Runs prog_fd as it is on pkt.
  Result<TestRunResult> RunDirect(int prog_fd, const Bytes& pkt, uint32_t repeat);
  // Runs the restore wrapper, which copies pkt back before every iteration
  // and tail-calls target_fd.
  Result<TestRunResult> RunWrapped(int target_fd, const Bytes& pkt, uint32_t repeat);

  int synguard_fd() const { return dp_->xdp_prog_fd(); }
  int drop_fd() const { return bpf_program__fd(progs_->progs.bench_drop); }
  int ref_fd() const { return bpf_program__fd(progs_->progs.ref_responder); }
  // The per-SYN "is this 4-tuple live?" question answered two ways
  // (bench_progs.bpf.c): synguard's socket lookup, and an LRU map of tuples.
  int skc_lookup_fd() const { return bpf_program__fd(progs_->progs.bench_skc_lookup); }
  int tuple_lru_fd() const { return bpf_program__fd(progs_->progs.bench_tuple_lru); }
  int counters_fd() const { return dp_->counters_fd(); }  // synguard's, per reason
  const Datapath& datapath() const { return *dp_; }

 private:
  Harness() = default;

  std::unique_ptr<Datapath> dp_;
  Skeleton<bench_progs> progs_;
};

}  // namespace sg::bench
