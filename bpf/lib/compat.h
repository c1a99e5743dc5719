/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the programs need to load on older kernels (5.10 and up) from one
 * build: Debian's libbpf 1.1 headers lack some of libbpf's newer macros.
 */
#ifndef SG_BPF_COMPAT_H
#define SG_BPF_COMPAT_H

/*
 * Whether libbpf resolved a __weak __ksym (a kfunc) on the running kernel.
 * An unresolved one is 0, and the verifier drops the call behind the test.
 * The assert catches a symbol declared without __weak, whose address the
 * compiler would fold to "always there".
 */
#define sg_ksym_exists(sym)                                                           \
	({                                                                            \
		_Static_assert(!__builtin_constant_p(!!(sym)), #sym " must be __weak"); \
		!!(sym);                                                              \
	})

#endif /* SG_BPF_COMPAT_H */
