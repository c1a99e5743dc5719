// Silences libbpf's own messages for a scope. libbpf prints the kernel's
// answer to every failed request; a probe that expects a "no", a query that
// finds no filter or a qdisc that exists already is an answer, not a fault:
// the caller's own line says what it means. Only the main thread calls
// libbpf, which is what makes swapping its (global) print function safe.
#pragma once

#include <bpf/libbpf.h>

namespace sg {

class QuietLibbpf {
 public:
  QuietLibbpf() : old_(libbpf_set_print(nullptr)) {}
  ~QuietLibbpf() { libbpf_set_print(old_); }
  QuietLibbpf(const QuietLibbpf&) = delete;
  QuietLibbpf& operator=(const QuietLibbpf&) = delete;

 private:
  libbpf_print_fn_t old_;
};

}  // namespace sg
