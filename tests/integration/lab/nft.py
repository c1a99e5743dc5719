"""An nftables rule in the server namespace that drops every pure SYN, so a
connection can only be made through synguard (whose XDP program answers
SYNs before netfilter sees them)."""

from .run import run

TABLE = "sgtest"


def drop_pure_syns(ns):
    run(["nft", "-f", "-"], ns=ns, input=f"""
table inet {TABLE} {{
    chain input {{
        type filter hook input priority -300; policy accept;
        tcp flags & (syn | ack | fin | rst) == syn counter drop
    }}
}}
""")


def allow_loopback(ns):
    """Lets the namespace's own loopback traffic (a metrics scrape, say)
    past the SYN drop."""
    run(["nft", "insert", "rule", "inet", TABLE, "input", "iifname", "lo",
         "accept"], ns=ns)


def count_syns_to(ns, port):
    """A counting rule in front of the drop: pure SYNs to port, i.e. the
    ones synguard passed to the kernel (its XDP_TX answers never get here).
    Read it with syns_to()."""
    run(["nft", "-f", "-"], ns=ns,
        input=f"insert rule inet {TABLE} input tcp dport {port} "
              f"tcp flags & (syn | ack | fin | rst) == syn counter\n")


def syns_to(ns, port):
    """Pure SYNs to port that reached netfilter so far (count_syns_to())."""
    out = run(["nft", "list", "chain", "inet", TABLE, "input"], ns=ns).stdout
    for line in out.splitlines():
        if f"dport {port} " in line and "counter packets" in line:
            return int(line.split("counter packets")[1].split()[0])
    raise ValueError(f"no SYN counter for port {port} in {ns}")


def dropped_syns(ns):
    """Packets the rule dropped so far."""
    out = run(["nft", "list", "chain", "inet", TABLE, "input"], ns=ns).stdout
    for line in out.splitlines():
        if "counter packets" in line and "drop" in line:
            return int(line.split("counter packets")[1].split()[0])
    return 0


def remove(ns):
    run(["nft", "delete", "table", "inet", TABLE], ns=ns, check=False)
