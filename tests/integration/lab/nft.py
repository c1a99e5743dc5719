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


def dropped_syns(ns):
    """Packets the rule dropped so far."""
    out = run(["nft", "list", "chain", "inet", TABLE, "input"], ns=ns).stdout
    for line in out.splitlines():
        if "counter packets" in line:
            return int(line.split("counter packets")[1].split()[0])
    return 0


def remove(ns):
    run(["nft", "delete", "table", "inet", TABLE], ns=ns, check=False)
