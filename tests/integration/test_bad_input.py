#!/usr/bin/env python3
"""Bad configs and bad flags, run against the real binary in a lab's server
namespace: each one exits 2 with a one-line reason naming the problem, and
changes nothing (sysctls, XDP, TC, pins).

One lab serves every row: building a lab costs about a second, and a row
that changed something would show up in the rows after it as well.

Not covered here: "a forced handoff mode the kernel lacks" cannot be produced on
a kernel that has both bpf_sk_assign_tcp_reqsk() and kernel syncookies from
BPF, which is what the CI runs on; faking the probe would test the fake.
"""

import os
import signal
import subprocess
import tempfile

from lab import env, testing
from lab.run import in_ns

PORT = 8080
METRICS_PORT = 19479  # held by a sleeper for the "metrics port in use" row
ROW_TIMEOUT = 15.0    # a row that starts the daemon instead runs forever

# {IF} is the server interface, {KEY644} a valid fleet key with mode 0644,
# {DIR} the test's temporary directory.
BASE = ("interfaces: [{IF}]\n"
        "ports: [{{port: 8080, engage: always}}]\n"
        "handoff: reqsk\n"
        "metrics: {{listen: '127.0.0.1:19480'}}\n")


def cfg(extra="", base=BASE):
    return base + extra


NO_PORTS = "interfaces: [{IF}]\nhandoff: reqsk\n"

# (name, argv after "synguard run", config text or None, expected substring
# of the reason). "{CFG}" in argv is the path of the row's config file.
ROWS = [
    # -- config: types and keys ------------------------------------------
    ("ttl_wrong_type", ["-c", "{CFG}"],
     cfg("cookies: {{ttl: sixty}}\n"), "ttl"),
    ("interfaces_not_a_list", ["-c", "{CFG}"],
     "interfaces: {{a: 1}}\nports: [8080]\n", "interfaces"),
    ("port_wrong_type", ["-c", "{CFG}"],
     NO_PORTS + "ports: [http]\n", "ports[0]"),
    ("unknown_top_level_key", ["-c", "{CFG}"],
     cfg("bogus_key: 1\n"), "bogus_key"),
    ("unknown_nested_key", ["-c", "{CFG}"],
     cfg("cookies: {{max_agee: 120}}\n"), "max_agee"),
    # -- config: ports ---------------------------------------------------
    ("port_0", ["-c", "{CFG}"], NO_PORTS + "ports: [0]\n", "ports[0]"),
    ("port_65536", ["-c", "{CFG}"],
     NO_PORTS + "ports: [65536]\n", "ports[0]"),
    ("port_duplicated", ["-c", "{CFG}"],
     NO_PORTS + "ports: [8080, 8080]\n", "8080"),
    ("engage_unknown", ["-c", "{CFG}"],
     NO_PORTS + "ports: [{{port: 8080, engage: sometimes}}]\n", "engage"),
    # -- config: prefixes ------------------------------------------------
    ("cidr_prefix_too_long", ["-c", "{CFG}"],
     cfg("allowlist: [10.0.0.0/33]\n"), "prefix length"),
    ("cidr_not_an_address", ["-c", "{CFG}"],
     cfg("denylist: [300.1.2.3/8]\n"), "not an IPv4 or IPv6 address"),
    ("cidr_host_bits_set", ["-c", "{CFG}"],
     cfg("allowlist: [10.0.0.1/24]\n"), "host bits set"),
    ("allow_deny_overlap", ["-c", "{CFG}"],
     cfg("allowlist: [192.0.2.0/24]\ndenylist: [192.0.2.128/25]\n"),
     "192.0.2."),
    ("ipv6_cidr_malformed", ["-c", "{CFG}"],
     cfg("denylist: ['2001:db8:::/32']\n"), "not an IPv4 or IPv6 address"),
    # -- config: cookies -------------------------------------------------
    ("mss_not_ascending", ["-c", "{CFG}"],
     cfg("cookies: {{mss_v4: [1460, 536, 1300, 8960]}}\n"), "mss_v4"),
    ("mss_v4_too_small", ["-c", "{CFG}"],
     cfg("cookies: {{mss_v4: [100, 1300, 1460, 8960]}}\n"), "mss_v4"),
    ("mss_v6_too_small", ["-c", "{CFG}"],
     cfg("cookies: {{mss_v6: [536, 1380, 1440, 8940]}}\n"), "mss_v6"),
    ("mss_wrong_count", ["-c", "{CFG}"],
     cfg("cookies: {{mss_v4: [536, 1460]}}\n"), "mss_v4"),
    ("wscale_first_not_0", ["-c", "{CFG}"],
     cfg("cookies: {{wscale: [1, 7, 10]}}\n"), "wscale"),
    ("wscale_above_14", ["-c", "{CFG}"],
     cfg("cookies: {{wscale: [0, 7, 15]}}\n"), "wscale"),
    ("ttl_0", ["-c", "{CFG}"], cfg("cookies: {{ttl: 0}}\n"), "ttl"),
    ("max_age_3", ["-c", "{CFG}"],
     cfg("cookies: {{max_age: 3s}}\n"), "max_age"),
    ("max_age_241", ["-c", "{CFG}"],
     cfg("cookies: {{max_age: 241}}\n"), "max_age"),
    ("rotation_not_above_max_age", ["-c", "{CFG}"],
     cfg("cookies: {{max_age: 120s}}\n"
         "secrets: {{rotation_interval: 120s}}\n"), "rotation_interval"),
    # -- config: on_crash ------------------------------------------------
    ("on_crash_unknown", ["-c", "{CFG}"], cfg("on_crash: fail_closed\n"),
     "on_crash: must be one of keep_protecting, fail_open"),
    ("on_crash_bool", ["-c", "{CFG}"], cfg("on_crash: true\n"),
     "on_crash: must be one of keep_protecting, fail_open"),
    ("on_crash_list", ["-c", "{CFG}"], cfg("on_crash: [fail_open]\n"),
     "on_crash: must be one of keep_protecting, fail_open"),
    ("on_crash_empty", ["-c", "{CFG}"], cfg("on_crash:\n"),
     "on_crash: must be one of keep_protecting, fail_open"),
    ("on_crash_wrong_case", ["-c", "{CFG}"], cfg("on_crash: Fail_Open\n"),
     "on_crash: must be one of keep_protecting, fail_open"),
    # -- config: on_interface_loss ---------------------------------------
    ("on_interface_loss_unknown", ["-c", "{CFG}"],
     cfg("on_interface_loss: restart\n"),
     "on_interface_loss: must be one of wait, exit"),
    ("on_interface_loss_bool", ["-c", "{CFG}"],
     cfg("on_interface_loss: false\n"),
     "on_interface_loss: must be one of wait, exit"),
    ("on_interface_loss_list", ["-c", "{CFG}"],
     cfg("on_interface_loss: [wait]\n"),
     "on_interface_loss: must be one of wait, exit"),
    ("on_interface_loss_empty", ["-c", "{CFG}"],
     cfg("on_interface_loss:\n"),
     "on_interface_loss: must be one of wait, exit"),
    # -- config: key file ------------------------------------------------
    ("key_file_missing", ["-c", "{CFG}"],
     cfg("secrets: {{source: key_file, key_file: /nonexistent/fleet.key}}\n"),
     "/nonexistent/fleet.key"),
    ("key_file_mode_0644", ["-c", "{CFG}"],
     cfg("secrets: {{source: key_file, key_file: '{KEY644}'}}\n"), "0644"),
    # -- config file itself ----------------------------------------------
    # Mode 000 would not do: root (which these tests run as) reads it anyway.
    # A directory and a missing path are unreadable as a config for root too.
    ("config_is_directory", ["-c", "{DIR}"], None, "{DIR}"),
    ("config_missing", ["-c", "{DIR}/nope.yaml"], None, "nope.yaml"),
    ("config_empty", ["-c", "{CFG}"], "", "interfaces"),
    ("yaml_syntax_error", ["-c", "{CFG}"],
     "interfaces: [\n  broken", "YAML syntax"),
    ("interface_missing_config", ["-c", "{CFG}"],
     "interfaces: [sgnosuchif0]\nports: [8080]\n"
     "metrics: {{listen: '127.0.0.1:19480'}}\n", "sgnosuchif0"),
    # -- flags -----------------------------------------------------------
    ("interface_missing_flag", ["-i", "sgnosuchif0", "-p", "8080"], None,
     "sgnosuchif0"),
    ("unknown_flag", ["--no-such-flag"], None, "--no-such-flag"),
    ("port_without_interface", ["-p", "8080"], None, "-i IFACE"),
    ("flag_port_0", ["-i", "{IF}", "-p", "0"], None, "--port"),
    ("flag_port_65536", ["-i", "{IF}", "-p", "65536"], None, "--port"),
    ("bad_handoff", ["-i", "{IF}", "-p", "8080", "--handoff", "magic"], None,
     "--handoff"),
    ("bad_xdp_mode", ["-i", "{IF}", "-p", "8080", "--xdp-mode", "turbo"],
     None, "--xdp-mode"),
    # A bridge has no native XDP: a forced native mode is the operator's to fix.
    ("native_xdp_unsupported", ["-i", "{BRIDGE}", "-p", "8080", "--xdp-mode",
                                "native", "--metrics-listen",
                                "127.0.0.1:19481"], None, "xdp_mode native"),
    ("bad_engage", ["-i", "{IF}", "-p", "8080", "--engage", "sometimes"],
     None, "--engage"),
    ("metrics_listen_no_port", ["-i", "{IF}", "-p", "8080",
                                "--metrics-listen", "127.0.0.1"], None,
     "ADDR:PORT"),
    ("metrics_listen_v6_no_brackets", ["-i", "{IF}", "-p", "8080",
                                       "--metrics-listen", "::1:9479"], None,
     "brackets"),
    ("metrics_listen_hostname", ["-i", "{IF}", "-p", "8080",
                                 "--metrics-listen", "localhost:9479"], None,
     "localhost"),
    ("metrics_port_in_use", ["-i", "{IF}", "-p", "8080", "--metrics-listen",
                             f"127.0.0.1:{METRICS_PORT}"], None,
     f"127.0.0.1:{METRICS_PORT}"),
    ("flag_cookie_max_age_3", ["-i", "{IF}", "-p", "8080",
                               "--cookie-max-age", "3"], None,
     "--cookie-max-age"),
    ("flag_cookie_max_age_241", ["-i", "{IF}", "-p", "8080",
                                 "--cookie-max-age", "241"], None,
     "--cookie-max-age"),
    ("flag_ttl_0", ["-i", "{IF}", "-p", "8080", "--ttl", "0"], None, "--ttl"),
]

# Rows that are run-time failures, not bad input: exit 1 (exit codes in
# docs/operations.md), still one reason line and nothing changed.
RUNTIME_ROWS = {"metrics_port_in_use"}

# A sleeper that holds METRICS_PORT, so that synguard's bind fails.
HOLD_PORT = ("import socket, time\n"
             "s = socket.socket()\n"
             f"s.bind(('127.0.0.1', {METRICS_PORT}))\n"
             "s.listen()\n"
             "print('bound', flush=True)\n"
             "time.sleep(600)\n")


# CLI11's hint after a command-line error: a pointer, not the reason.
CLI_HINT = "Run with --help for more information."


def reason_lines(out, err):
    """The lines that give the reason: stderr's (without CLI11's hint) or,
    when stderr is empty, the daemon's last log line (its log goes to
    stdout, for journald; earlier info lines there are progress, not the
    reason)."""
    lines = [s for s in err.splitlines() if s.strip() and s != CLI_HINT]
    if lines or err.strip():
        return lines
    logged = [s for s in out.splitlines() if s.strip()]
    return logged[-1:]


class BadInputTest(testing.LabTestCase):
    def state(self, lab):
        """What a bad input must not change in the server namespace."""
        link = lab.run(lab.server_ns,
                       ["ip", "-o", "link", "show", lab.server_if]).stdout
        tc = lab.run(lab.server_ns, ["tc", "filter", "show", "dev",
                                     lab.server_if, "ingress"]).stdout
        # The daemon pins under PIN_DIR/<netns inode>; lab.run uses nsenter,
        # so the host's /sys/fs/bpf is what we list here too.
        ino = os.stat(f"/run/netns/{lab.server_ns}").st_ino
        pins = f"/sys/fs/bpf/synguard/{ino}"
        listing = []
        for root, dirs, files in os.walk(pins):
            listing += [os.path.join(root, n) for n in dirs + files]
        return {
            "tcp_syncookies": lab.sysctl(lab.server_ns,
                                         "net.ipv4.tcp_syncookies"),
            "tcp_timestamps": lab.sysctl(lab.server_ns,
                                         "net.ipv4.tcp_timestamps"),
            "xdp": "xdp" in link,
            "tc_ingress": tc.strip(),
            "pins": sorted(listing),
            # The originals synguard saves before changing a sysctl.
            "restore_record": os.path.exists(
                f"/run/synguard/{ino}.restore.json"),
        }

    def run_row(self, lab, argv):
        """synguard run argv in the server namespace. A row that starts the
        daemon instead of refusing gets SIGTERM (so it detaches and unpins)
        rather than the SIGKILL a plain timeout would send."""
        p = subprocess.Popen(in_ns(lab.server_ns,
                                   [env.synguard(), "run", *argv]),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        try:
            out, err = p.communicate(timeout=ROW_TIMEOUT)
            return p.returncode, out, err
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=15)
            return f"still running after {ROW_TIMEOUT}s", out, err

    def test_bad_inputs_exit_2_and_change_nothing(self):
        with testing.lab() as l, tempfile.TemporaryDirectory() as tmp:
            # 0 is neither mode's value, so a row that set it would show.
            l.sysctl(l.server_ns, "net.ipv4.tcp_syncookies", 0)
            # Valid content, wrong mode: the mode alone must be refused.
            key644 = os.path.join(tmp, "fleet644.key")
            with open(key644, "w") as f:
                f.write("00112233445566778899aabbccddeeff\n")
            os.chmod(key644, 0o644)
            bridge = "sgbr" + l.server_if[-6:]
            l.run(l.server_ns, ["ip", "link", "add", bridge, "type", "bridge"])
            l.run(l.server_ns, ["ip", "link", "set", bridge, "up"])
            subst = {"IF": l.server_if, "KEY644": key644, "DIR": tmp,
                     "BRIDGE": bridge}
            sleeper = l.spawn(l.server_ns, ["python3", "-c", HOLD_PORT],
                              stdout=subprocess.PIPE, text=True)
            self.assertEqual(sleeper.stdout.readline().strip(), "bound")
            sleeper.stdout.close()  # it writes nothing more; the lab stops it

            before = self.state(l)
            for name, argv, text, want in ROWS:
                with self.subTest(name):
                    cfg_path = os.path.join(tmp, f"{name}.yaml")
                    if text is not None:
                        with open(cfg_path, "w") as f:
                            f.write(text.format(**subst))
                    args = [a.replace("{CFG}", cfg_path).format(**subst)
                            for a in argv]
                    want = want.format(**subst)
                    rc, out, err = self.run_row(l, args)
                    # Every problem of the row in one report, not just the
                    # first assertion's.
                    problems = []
                    want_rc = 1 if name in RUNTIME_ROWS else 2
                    if rc != want_rc:
                        problems.append(f"exit status {rc}, want {want_rc}")
                    reason = reason_lines(out, err)
                    if len(reason) != 1:
                        problems.append(f"want one reason line, got {reason}")
                    elif want not in reason[0]:
                        problems.append(f"{want!r} not in {reason[0]!r}")
                    after = self.state(l)
                    if after != before:
                        problems.append(f"changed: {before} -> {after}")
                        # Put the sysctls back so the next rows are judged
                        # on their own; XDP, TC and pins stay and show.
                        for k in ("tcp_syncookies", "tcp_timestamps"):
                            l.sysctl(l.server_ns, f"net.ipv4.{k}", before[k])
                    self.assertFalse(problems,
                                     f"argv: {args}\nconfig:\n{text}\n"
                                     f"stdout:\n{out}stderr:\n{err}")


if __name__ == "__main__":
    testing.main()
