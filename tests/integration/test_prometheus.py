#!/usr/bin/env python3
"""synguard's metrics as Prometheus sees them.

synguard runs in the lab with --metrics-listen 127.0.0.1:9479 in the server
namespace (its own loopback), real clients connect through it, and then:

- a live scrape passes `promtool check metrics`;
- a real Prometheus server (Debian's /usr/bin/prometheus, 1 s scrape and
  rule evaluation, a temporary TSDB) runs in the server namespace with the
  deployed alert rules (deploy/prometheus/synguard-rules.yml): through its
  HTTP API, rate(synguard_synacks_sent_total) > 0 under steady connections,
  the listener gauges have the echo server's values (up, its listen()
  backlog; up 0 once it is gone), every rule evaluates without error and
  none of the failure alerts is active;
- every metric name (and every label value matched with =) used by the
  rules and the Grafana dashboard is in the live scrape, every dashboard
  query is accepted by Prometheus and finds series, and `promtool check
  rules` / `promtool test rules` / `promtool check config` pass on the
  deployed files.

Nothing leaves the lab: Prometheus, synguard and curl all run in the server
namespace and talk over its loopback.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

from lab import env, nft, testing
from lab.echo import PORT, EchoServer, run_client

METRICS = "127.0.0.1:9479"
BACKLOG = 77            # an unusual listen() backlog: the gauge must show it
TOOLS = ("promtool", "prometheus", "curl")


def deploy_dir():
    return os.path.join(env.path("SG_SOURCE_DIR"), "deploy", "prometheus")


def rules_file():
    return os.path.join(deploy_dir(), "synguard-rules.yml")


def dashboard_file():
    return os.path.join(deploy_dir(), "grafana", "synguard-dashboard.json")


# -- reading the exposition format and PromQL, just enough -----------------

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+\S+')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"')
# A metric name in PromQL: synguard_* and process_* are ours; `up` is made by
# Prometheus and checked through its API.
METRIC_NAME = re.compile(r'\b((?:synguard|process)_[a-zA-Z0-9_]*)\b')
SELECTOR = re.compile(r'\b((?:synguard|process)_[a-zA-Z0-9_]*)\s*\{([^}]*)\}')


def parse_scrape(text):
    """{metric name: [labels dict, ...]} from the text exposition format."""
    series = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError(f"unparsable sample line: {line!r}")
        labels = {k: v for k, _, v in LABEL.findall(m.group(3) or "")}
        series.setdefault(m.group(1), []).append(labels)
    return series


def rule_exprs():
    """(alert name, expr) of every rule in the rules file; the file is YAML,
    read here without a YAML library: every expr is a `|` block."""
    with open(rules_file()) as f:
        lines = f.read().splitlines()
    exprs, name = [], None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r'\s*- (alert|record): (\S+)', line)
        if m:
            name = m.group(2)
        m = re.match(r'(\s*)expr: (.*)$', line)
        if m:
            indent, rest = len(m.group(1)), m.group(2).strip()
            if rest in ("|", ">", "|-", ">-"):
                block = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or
                                          len(lines[i]) - len(lines[i].lstrip()) > indent):
                    block.append(lines[i].strip())
                    i += 1
                exprs.append((name, " ".join(b for b in block if b)))
                continue
            exprs.append((name, rest))
        i += 1
    return exprs


def dashboard_exprs():
    """(panel title, expr) of every target and every template query."""
    with open(dashboard_file()) as f:
        dash = json.load(f)
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                out.append((p["title"], t["expr"]))
            walk(p.get("panels", []))

    walk(dash["panels"])
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            # label_values(SELECTOR, label): the selector is the query.
            m = re.match(r'label_values\((.*),\s*\w+\)$', q)
            out.append((f"variable {v['name']}", m.group(1) if m else q))
    return out


def grafana_to_promql(expr, instance):
    """Grafana's variables replaced by what they would be here (the
    instance's dots left as they are: any character matches them)."""
    return (expr.replace("$__rate_interval", "15s")
            .replace("$__range", "1m")
            .replace("$job", "synguard")
            .replace("$instance", instance))


# -- the test ----------------------------------------------------------------

class PrometheusTest(testing.LabTestCase):
    def scrape(self, l):
        p = l.run(l.server_ns, ["curl", "-sS", "--max-time", "5",
                                f"http://{METRICS}/metrics"], timeout=10)
        return p.stdout

    def api(self, l, port, path, params=None):
        url = f"http://127.0.0.1:{port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        p = l.run(l.server_ns, ["curl", "-sS", "--max-time", "5", url],
                  check=False, timeout=10)
        if p.returncode != 0:
            return {"status": "curl", "error": p.stderr.strip()}
        return json.loads(p.stdout)

    def query(self, l, port, expr):
        return self.api(l, port, "/api/v1/query", {"query": expr})

    def wait_value(self, l, port, expr, want, timeout=30.0):
        """Polls an instant query until it has one sample equal to want."""
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            last = self.query(l, port, expr)
            if last.get("status") == "success":
                res = last["data"]["result"]
                if len(res) == 1 and want(float(res[0]["value"][1])):
                    return float(res[0]["value"][1])
            time.sleep(0.5)
        self.fail(f"{expr}: no wanted value within {timeout}s; last answer "
                  f"{json.dumps(last)}\nPrometheus log:\n{self.prom_log()}")

    def prom_log(self):
        try:
            with open(self._prom_log_path) as f:
                return f.read()[-4000:]
        except OSError:
            return "(none)"

    def free_port(self, l):
        p = l.run(l.server_ns, [sys.executable, "-c",
                                "import socket; s = socket.socket(); "
                                "s.bind(('127.0.0.1', 0)); "
                                "print(s.getsockname()[1])"])
        return int(p.stdout.strip())

    def start_prometheus(self, l, tmp):
        port = self.free_port(l)
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n"
                    "  scrape_interval: 1s\n"
                    "  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    f"rule_files: ['{rules_file()}']\n"
                    "scrape_configs:\n"
                    "  - job_name: synguard\n"
                    f"    static_configs: [{{targets: ['{METRICS}']}}]\n")
        self._prom_log_path = os.path.join(tmp, "prometheus.log")
        log = open(self._prom_log_path, "w")
        proc = l.spawn(l.server_ns, [
            shutil.which("prometheus"), f"--config.file={config}",
            f"--storage.tsdb.path={os.path.join(tmp, 'tsdb')}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1h"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._prom = proc
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.fail(f"prometheus exited {proc.returncode}:\n"
                          f"{self.prom_log()}")
            p = l.run(l.server_ns, ["curl", "-sf", "--max-time", "2",
                                    f"http://127.0.0.1:{port}/-/ready"],
                      check=False, timeout=5)
            if p.returncode == 0:
                return port
            time.sleep(0.3)
        self.fail(f"prometheus not ready within 30s:\n{self.prom_log()}")

    def stop_prometheus(self):
        proc, self._prom = self._prom, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def setUp(self):
        super().setUp()
        self._prom = None

    def tearDown(self):
        self.stop_prometheus()
        super().tearDown()

    # -- (c) without the lab: the deployed files ------------------------------

    def test_promtool_checks_the_deployed_files(self):
        p = subprocess.run(["promtool", "check", "rules", rules_file()],
                           capture_output=True, text=True, timeout=30)
        print(p.stdout + p.stderr)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("SUCCESS", p.stdout + p.stderr)
        # The rules' unit tests: each alert fires on its synthetic series.
        p = subprocess.run(["promtool", "test", "rules",
                            os.path.join(deploy_dir(), "synguard-rules.test.yml")],
                           capture_output=True, text=True, timeout=60)
        print(p.stdout + p.stderr)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        config = os.path.join(deploy_dir(), "prometheus.yml")
        p = subprocess.run(["promtool", "check", "config", config],
                           capture_output=True, text=True, timeout=30)
        print(p.stdout + p.stderr)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(config) as f:
            text = f.read()
        self.assertIn("job_name: synguard", text)
        self.assertIn("127.0.0.1:9479", text)
        # Every alert has a duration, a severity and both annotations.
        with open(rules_file()) as f:
            rules = f.read()
        alerts = re.findall(r'- alert: (\S+)', rules)
        self.assertGreaterEqual(len(alerts), 5, alerts)
        for field in ("for:", "severity:", "summary:", "description:"):
            self.assertEqual(rules.count(field), len(alerts), field)
        self.assertGreater(len(dashboard_exprs()), 10)

    # -- (a), (b), (c) with synguard and Prometheus ---------------------------

    def test_live_scrape_and_real_prometheus(self):
        with tempfile.TemporaryDirectory(prefix="sg-prom-") as tmp, \
                testing.lab() as l:
            server = l.addresses(4)[0]
            # The lab drops every pure SYN in the server namespace's netfilter
            # (only synguard can open a connection from the client); the
            # scrapes and Prometheus's API stay on its loopback, let through.
            l.run(l.server_ns, ["nft", "insert", "rule", "inet", nft.TABLE,
                                "input", "iifname", "lo", "accept"])
            d = self.start_synguard(l, extra=["--metrics-listen", METRICS])
            srv = EchoServer(l, 100000, nbytes=100, timeout_ms=150000,
                             backlog=BACKLOG).start()
            rc, recs, summary = run_client(l, server, 20, nbytes=100,
                                           quiet=True)
            self.assertEqual(summary["ok"], 20, (rc, recs, summary))

            # (a) A live scrape passes promtool's linter.
            text = self.scrape(l)
            p = subprocess.run(["promtool", "check", "metrics"], input=text,
                               capture_output=True, text=True, timeout=30)
            print(f"promtool check metrics: exit {p.returncode} "
                  f"{p.stdout}{p.stderr}".strip())
            self.assertEqual(p.returncode, 0,
                             f"{p.stdout}{p.stderr}\n--- scrape ---\n{text}")
            series = parse_scrape(text)
            synacks = series["synguard_synacks_sent_total"]
            self.assertEqual(len(synacks), 1)

            # (c) Names and label values of the rules and the dashboard.
            used = rule_exprs() + dashboard_exprs()
            self.assertGreater(len(used), 20)
            missing = sorted({(where, n) for where, e in used
                              for n in METRIC_NAME.findall(e)
                              if n not in series})
            self.assertEqual(missing, [], "metrics not in the live scrape")
            for where, e in used:
                for name, matchers in SELECTOR.findall(e):
                    for label, op, value in LABEL.findall(matchers):
                        if op != "=" or label in ("job", "instance"):
                            continue
                        self.assertTrue(
                            any(s.get(label) == value for s in series[name]),
                            f"{where}: no {name}{{{label}=\"{value}\"}} in the "
                            f"scrape")

            # (b) A real Prometheus scraping synguard, with the alert rules.
            port = self.start_prometheus(l, tmp)
            stop, failures = threading.Event(), []

            def load():
                while not stop.is_set():
                    _, _, s = run_client(l, server, 5, nbytes=100, quiet=True)
                    if s["failed"]:
                        failures.append(s)
                    time.sleep(0.1)

            t = threading.Thread(target=load, daemon=True)
            t.start()
            load_until = time.monotonic() + 5   # at least 5 s of connections
            try:
                self.wait_value(l, port, 'up{job="synguard"}', lambda v: v == 1)
                rate = self.wait_value(
                    l, port, 'rate(synguard_synacks_sent_total{job="synguard"}[10s])',
                    lambda v: v > 0)
                print(f"rate(synguard_synacks_sent_total[10s]) = {rate:.1f}/s")
                self.wait_value(
                    l, port, f'synguard_listener_up{{job="synguard",port="{PORT}"}}',
                    lambda v: v == 1)
                self.wait_value(
                    l, port, f'synguard_listener_backlog{{job="synguard",port="{PORT}"}}',
                    lambda v: v == BACKLOG)
                self.wait_value(
                    l, port, f'synguard_port_engaged{{job="synguard",port="{PORT}"}}',
                    lambda v: v == 1)
                self.wait_value(
                    l, port, f'sum(rate(synguard_port_cookie_acks_total{{job="synguard",'
                             f'port="{PORT}",result="valid"}}[10s]))',
                    lambda v: v > 0)
                time.sleep(max(0.0, load_until - time.monotonic()))
            finally:
                stop.set()
                t.join(timeout=60)
            self.assertEqual(failures, [], "connections failed under steady load")

            # Every dashboard query is valid PromQL to this Prometheus, and
            # every rule is evaluated without error.
            instance = METRICS
            for where, e in dashboard_exprs():
                q = grafana_to_promql(e, instance)
                r = self.query(l, port, q)
                self.assertEqual(r.get("status"), "success", f"{where}: {q}: {r}")
                # And it finds something: its selectors match live series.
                self.assertNotEqual(r["data"]["result"], [], f"{where}: {q}")
            # Rules start with health "unknown" until their first evaluation.
            deadline = time.monotonic() + 15
            while True:
                rules = [r for g in self.api(l, port, "/api/v1/rules")["data"]["groups"]
                         for r in g["rules"]]
                if (rules and all(r["health"] != "unknown" for r in rules)
                        or time.monotonic() > deadline):
                    break
                time.sleep(0.5)
            names = sorted(r["name"] for r in rules)
            print(f"rules loaded: {names}")
            self.assertEqual(len(rules), len(rule_exprs()))
            for r in rules:
                self.assertEqual(r["health"], "ok", r)
            # A healthy synguard: attached, self-test passed, no failed
            # reload, no cookie failures. The flood alert is left out: the
            # lab's load is tiny, it cannot be active either, but it is not a
            # failure.
            active = {a["labels"]["alertname"]: a["state"]
                      for a in self.api(l, port, "/api/v1/alerts")["data"]["alerts"]}
            print(f"active alerts: {active}")
            for name in ("SynguardProgramDetached", "SynguardSelfTestFailed",
                         "SynguardConfigReloadFailed", "SynguardCookiesFailing",
                         "SynguardScrapeErrors"):
                self.assertNotIn(name, active)

            # The listener goes away: its gauge follows.
            srv.stop()
            self.wait_value(
                l, port, f'synguard_listener_up{{job="synguard",port="{PORT}"}}',
                lambda v: v == 0)

            self.stop_prometheus()
            self.stop_synguard(d)


if __name__ == "__main__":
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing and os.geteuid() == 0:
        print(f"test_prometheus needs {' '.join(missing)} "
              f"(deploy/install-deps.sh installs them)")
        sys.exit(testing.SKIP)
    testing.main()
