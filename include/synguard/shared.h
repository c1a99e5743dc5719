/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Everything the BPF programs and the daemon share: include this one. */
#ifndef SYNGUARD_SHARED_H
#define SYNGUARD_SHARED_H

#include "types.h"
#include "siphash.h"
#include "layout.h"
#include "address.h"
#include "counters.h"
#include "cookie.h"
#include "tcp_options.h"

#endif /* SYNGUARD_SHARED_H */
