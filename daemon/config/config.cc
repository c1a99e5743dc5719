#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "config/validate.h"
#include "config/yaml_fields.h"

namespace sg {

using namespace config_internal;  // NOLINT: the helpers are this file's vocabulary
using std::chrono::seconds;

namespace {

constexpr size_t kMaxIfName = 15;          // IFNAMSIZ - 1
constexpr size_t kMaxListEntries = 65536;  // per family: max_entries of the LPM tries
constexpr int64_t kMinMssV4 = 536;         // bpf_sk_assign_tcp_reqsk() refuses less
constexpr int64_t kMinMssV6 = 1220;
constexpr int64_t kMaxWscale = 14;  // RFC 7323

class Parser {
 public:
  Config Parse(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull())
      Fail(1, "(top level)", "the file is empty; it needs at least interfaces and ports");
    Fields top(root, "",
               {"interfaces", "ports", "detector", "allowlist", "denylist", "cookies", "secrets",
                "handoff", "xdp_mode", "sysctl", "metrics", "pin_dir", "leave_pinned_on_exit",
                "on_crash", "on_interface_loss"});
    Interfaces(top);
    if (const YAML::Node* n = top.Find("detector")) Detector(*n, "detector");
    Ports(top);
    Lists(top);
    if (const YAML::Node* n = top.Find("cookies")) Cookies(*n, "cookies");
    if (const YAML::Node* n = top.Find("handoff")) c_.handoff = Choice<HandoffMode>(*n, "handoff");
    if (const YAML::Node* n = top.Find("xdp_mode")) c_.xdp_mode = Choice<XdpMode>(*n, "xdp_mode");
    Secrets(top.Find("secrets"));
    if (const YAML::Node* n = top.Find("sysctl")) Sysctl(*n, "sysctl");
    if (const YAML::Node* n = top.Find("metrics")) Metrics(*n, "metrics");
    if (const YAML::Node* n = top.Find("pin_dir")) {
      c_.pin_dir = String(*n, "pin_dir");
      if (c_.pin_dir.front() != '/')
        Fail(*n, "pin_dir",
             "must be an absolute path under a BPF filesystem (got " + Got(*n) + ")");
    }
    if (const YAML::Node* n = top.Find("leave_pinned_on_exit"))
      c_.leave_pinned_on_exit = Bool(*n, "leave_pinned_on_exit");
    if (const YAML::Node* n = top.Find("on_crash")) c_.on_crash = Choice<OnCrash>(*n, "on_crash");
    if (const YAML::Node* n = top.Find("on_interface_loss"))
      c_.on_interface_loss = Choice<OnInterfaceLoss>(*n, "on_interface_loss");
    CheckWhole();
    return std::move(c_);
  }

 private:
  // Where a key Validate may blame sits in the file, and how it was written
  // there ("ports[1]" for a port given as a bare number).
  struct Where {
    int line = 0;
    std::string path;
  };

  void Remember(const std::string& key, const YAML::Node& n, const std::string& path = "") {
    where_[key] = {LineOf(n), path.empty() ? key : path};
  }

  // The rules across keys (config/validate.h), blamed on the file's line.
  void CheckWhole() {
    std::optional<ConfigFault> f = Validate(c_);
    if (!f) return;
    std::string problem = f->problem;
    if (auto other = where_.find(f->other_key); other != where_.end() && other->second.line > 0)
      problem += " (line " + std::to_string(other->second.line) + ")";
    auto at = where_.find(f->key);
    if (at == where_.end()) Fail(0, f->key, problem);
    Fail(at->second.line, at->second.path, problem);
  }

  void Interfaces(const Fields& top) {
    const YAML::Node* n = top.Find("interfaces");
    if (!n) Fail(top.node(), "interfaces", "required: the interfaces to protect, e.g. [eth0]");
    Remember("interfaces", *n);
    ForEach(*n, "interfaces", [&](const YAML::Node& item, const std::string& path, size_t) {
      std::string name = String(item, path);
      if (name.size() > kMaxIfName || name.find_first_of("/ \t:") != std::string::npos)
        Fail(item, path, "not a valid interface name (got " + Got(item) + ")");
      Remember(path, item);
      c_.interfaces.push_back(name);
    });
  }

  // Threshold keys, shared by the detector block and each port.
  void Thresholds(const Fields& f, DetectorThresholds& t) {
    if (const YAML::Node* n = f.Find("syn_rate_engage"))
      t.syn_rate_engage = Real(*n, f.PathOf("syn_rate_engage"), 1, 1e10);
    if (const YAML::Node* n = f.Find("syn_rate_disengage"))
      t.syn_rate_disengage = Real(*n, f.PathOf("syn_rate_disengage"), 0, 1e10);
    if (const YAML::Node* n = f.Find("queue_fill_engage"))
      t.queue_fill_engage = Real(*n, f.PathOf("queue_fill_engage"), 0.01, 1);
    if (const YAML::Node* n = f.Find("quiet_period"))
      t.quiet_period = Duration(*n, f.PathOf("quiet_period"), seconds(1), seconds(86400));
    // Hysteresis: without a gap the port would flap around one threshold.
    if (t.syn_rate_disengage >= t.syn_rate_engage) {
      // Blame the key this block set (the other may come from the defaults).
      std::ostringstream msg;
      if (const YAML::Node* d = f.Find("syn_rate_disengage")) {
        msg << "must be below syn_rate_engage (" << t.syn_rate_engage
            << "), or the port flaps (got " << t.syn_rate_disengage << ")";
        Fail(*d, f.PathOf("syn_rate_disengage"), msg.str());
      }
      const YAML::Node* e = f.Find("syn_rate_engage");
      msg << "must be above syn_rate_disengage (" << t.syn_rate_disengage
          << "), or the port flaps (got " << t.syn_rate_engage << ")";
      Fail(e ? *e : f.node(), f.PathOf("syn_rate_engage"), msg.str());
    }
  }

  void Detector(const YAML::Node& n, const std::string& path) {
    Fields f(n, path,
             {"syn_rate_engage", "syn_rate_disengage", "queue_fill_engage", "quiet_period"});
    Thresholds(f, defaults_);
  }

  void Ports(const Fields& top) {
    const YAML::Node* n = top.Find("ports");
    if (!n) Fail(top.node(), "ports", "required: the TCP ports to protect, e.g. [443]");
    Remember("ports", *n);
    ForEach(*n, "ports", [&](const YAML::Node& item, const std::string& path, size_t) {
      PortConfig p;
      p.thresholds = defaults_;
      std::string port_path = path;
      // A handle (a copy shares the node): the Fields below goes out of scope.
      YAML::Node port_node = item;
      if (item.IsMap()) {
        Fields f(item, path,
                 {"port", "engage", "syn_rate_engage", "syn_rate_disengage", "queue_fill_engage",
                  "quiet_period"});
        const YAML::Node* found = f.Find("port");
        if (!found) Fail(item, f.PathOf("port"), "required: the TCP port number");
        port_node.reset(*found);
        port_path = f.PathOf("port");
        if (const YAML::Node* e = f.Find("engage"))
          p.engage = Choice<EngageMode>(*e, f.PathOf("engage"));
        Thresholds(f, p.thresholds);
      }
      p.port = static_cast<uint16_t>(Integer(port_node, port_path, 1, 65535));
      Remember(path, item);
      Remember(path + ".port", port_node, port_path);
      c_.ports.push_back(p);
    });
  }

  struct ListEntry {
    Cidr cidr;
    std::string path;
    int line;
  };

  void List(const YAML::Node& n, const std::string& name, std::vector<ListEntry>& out) {
    ForEach(n, name, [&](const YAML::Node& item, const std::string& path, size_t) {
      Result<Cidr> c = ParseCidr(String(item, path));
      if (!c) Fail(item, path, c.error().what());
      for (const ListEntry& e : out) {
        if (e.cidr == *c)
          Fail(item, path,
               c->ToString() + " is already listed at " + e.path + " (line " +
                   std::to_string(e.line) + ")");
        if (e.cidr.Overlaps(*c))
          Fail(item, path,
               c->ToString() + " overlaps " + e.cidr.ToString() + " at " + e.path + " (line " +
                   std::to_string(e.line) + "); keep the wider one");
      }
      out.push_back({*c, path, LineOf(item)});
    });
  }

  void Lists(const Fields& top) {
    std::vector<ListEntry> allow, deny;
    if (const YAML::Node* n = top.Find("allowlist")) List(*n, "allowlist", allow);
    if (const YAML::Node* n = top.Find("denylist")) List(*n, "denylist", deny);
    // The tries answer with the longest match, so an address in both lists
    // would depend on prefix lengths: refuse it rather than guess the intent.
    for (const ListEntry& d : deny) {
      for (const ListEntry& a : allow) {
        if (a.cidr.Overlaps(d.cidr))
          Fail(d.line, d.path,
               d.cidr.ToString() + " overlaps " + a.cidr.ToString() + " at " + a.path + " (line " +
                   std::to_string(a.line) + "); an address may be on only one list");
      }
    }
    size_t v4 = 0, v6 = 0;
    for (const auto* l : {&allow, &deny}) {
      for (const ListEntry& e : *l) (e.cidr.family == 4 ? v4 : v6)++;
    }
    if (v4 > kMaxListEntries || v6 > kMaxListEntries)
      Fail(top.node(), "allowlist",
           "allowlist and denylist hold more than 65536 prefixes of one family");
    for (const ListEntry& e : allow) c_.allowlist.push_back(e.cidr);
    for (const ListEntry& e : deny) c_.denylist.push_back(e.cidr);
  }

  template <size_t N, class T>
  void Table(const YAML::Node& n, const std::string& path, std::array<T, N>& out, int64_t first_min,
             const std::string& why_min, int64_t max) {
    if (!n.IsSequence() || n.size() != N)
      Fail(n, path,
           "must be a list of " + std::to_string(N) + " ascending numbers (got " +
               (n.IsSequence() ? std::to_string(n.size()) + " entries" : Got(n)) + ")");
    for (size_t i = 0; i < N; ++i) {
      const std::string item_path = Index(path, i);
      int64_t v = Integer(n[i], item_path, 0, max);
      if (i == 0 && v < first_min)
        Fail(n[i], item_path,
             "must be at least " + std::to_string(first_min) + ", " + why_min + " (got " +
                 std::to_string(v) + ")");
      if (i == 0 && first_min == 0 && v != 0)
        Fail(n[i], item_path, "must be 0: " + why_min + " (got " + std::to_string(v) + ")");
      if (i > 0 && v <= static_cast<int64_t>(out[i - 1]))
        Fail(n[i], item_path,
             "must be greater than the entry before it (" + std::to_string(out[i - 1]) +
                 "): the table is ascending (got " + std::to_string(v) + ")");
      out[i] = static_cast<T>(v);
    }
  }

  void Cookies(const YAML::Node& n, const std::string& path) {
    Fields f(
        n, path,
        {"max_age", "ttl", "mss_v4", "mss_v6", "mss_v4_timestamps", "mss_v6_timestamps", "wscale"});
    if (const YAML::Node* v = f.Find("max_age"))
      c_.cookies.max_age_seconds = static_cast<uint32_t>(
          Duration(*v, f.PathOf("max_age"), seconds(4), seconds(240)).count());
    if (const YAML::Node* v = f.Find("ttl"))
      c_.cookies.ttl = static_cast<uint8_t>(Integer(*v, f.PathOf("ttl"), 1, 255));
    if (const YAML::Node* v = f.Find("mss_v4"))
      Table(*v, f.PathOf("mss_v4"), c_.cookies.mss_v4, kMinMssV4,
            "the smallest MSS the kernel accepts for a handed-off IPv4 request", 65535);
    if (const YAML::Node* v = f.Find("mss_v6"))
      Table(*v, f.PathOf("mss_v6"), c_.cookies.mss_v6, kMinMssV6,
            "the IPv6 minimum MTU's MSS, the smallest the kernel accepts", 65535);
    if (const YAML::Node* v = f.Find("mss_v4_timestamps"))
      Table(*v, f.PathOf("mss_v4_timestamps"), c_.cookies.mss_v4_timestamps, kMinMssV4,
            "the smallest MSS the kernel accepts for a handed-off IPv4 request", 65535);
    if (const YAML::Node* v = f.Find("mss_v6_timestamps"))
      Table(*v, f.PathOf("mss_v6_timestamps"), c_.cookies.mss_v6_timestamps, kMinMssV6,
            "the IPv6 minimum MTU's MSS, the smallest the kernel accepts", 65535);
    if (const YAML::Node* v = f.Find("wscale"))
      Table(*v, f.PathOf("wscale"), c_.cookies.wscale, 0,
            "clients offering any window scale must round down to an entry", kMaxWscale);
  }

  void Secrets(const YAML::Node* n) {
    SecretsConfig& s = c_.secrets;
    bool grace = false;
    if (n) {
      Fields f(*n, "secrets", {"source", "key_file", "rotation_interval", "grace"});
      if (const YAML::Node* source = f.Find("source")) {
        s.source = Choice<SecretsSource>(*source, f.PathOf("source"));
        Remember(f.PathOf("source"), *source);
      }
      const YAML::Node* key_file = f.Find("key_file");
      if (key_file) {
        if (s.source != SecretsSource::kKeyFile)
          Fail(*key_file, f.PathOf("key_file"), "only used with source: key_file");
        s.key_file = String(*key_file, f.PathOf("key_file"));
        if (s.key_file.front() != '/')
          Fail(*key_file, f.PathOf("key_file"),
               "must be an absolute path (got " + Got(*key_file) + ")");
      } else if (s.source == SecretsSource::kKeyFile) {
        Fail(*n, f.PathOf("key_file"), "required with source: key_file (the fleet key's path)");
      }
      if (const YAML::Node* v = f.Find("rotation_interval")) {
        s.rotation.interval =
            Duration(*v, f.PathOf("rotation_interval"), seconds(5), seconds(7 * 86400));
        Remember(f.PathOf("rotation_interval"), *v);
      }
      if (const YAML::Node* v = f.Find("grace")) {
        s.rotation.grace = Duration(*v, f.PathOf("grace"), seconds(1), seconds(7 * 86400));
        Remember(f.PathOf("grace"), *v);
        grace = true;
      }
    }
    // The rules between grace, interval and max age are Validate's.
    if (!grace)
      s.rotation.grace = DefaultGrace(seconds(c_.cookies.max_age_seconds), s.rotation.interval);
  }

  // An integer sysctl target, or "keep" to leave the sysctl alone.
  std::optional<int64_t> Target(const YAML::Node& n, const std::string& path, int64_t min,
                                int64_t max) {
    if (n.IsScalar() && n.Scalar() == "keep") return std::nullopt;
    if (n.IsScalar() && !n.Scalar().empty() &&
        (std::isdigit(n.Scalar()[0]) || n.Scalar()[0] == '-'))
      return Integer(n, path, min, max);
    Fail(n, path,
         "must be a number in " + std::to_string(min) + ".." + std::to_string(max) +
             " or keep (got " + Got(n) + ")");
  }

  void Sysctl(const YAML::Node& n, const std::string& path) {
    Fields f(n, path,
             {"manage", "tcp_max_syn_backlog", "somaxconn", "tcp_synack_retries",
              "tcp_abort_on_overflow"});
    SysctlProfile& p = c_.sysctl;
    if (const YAML::Node* v = f.Find("manage")) p.manage = Bool(*v, f.PathOf("manage"));
    if (const YAML::Node* v = f.Find("tcp_max_syn_backlog"))
      p.tcp_max_syn_backlog = Target(*v, f.PathOf("tcp_max_syn_backlog"), 128, 1 << 24);
    if (const YAML::Node* v = f.Find("somaxconn"))
      p.somaxconn = Target(*v, f.PathOf("somaxconn"), 128, 1 << 24);
    if (const YAML::Node* v = f.Find("tcp_synack_retries"))
      p.tcp_synack_retries = Target(*v, f.PathOf("tcp_synack_retries"), 1, 10);
    if (const YAML::Node* v = f.Find("tcp_abort_on_overflow"))
      p.reset_abort_on_overflow = Target(*v, f.PathOf("tcp_abort_on_overflow"), 0, 0).has_value();
  }

  void Metrics(const YAML::Node& n, const std::string& path) {
    Fields f(n, path, {"listen"});
    if (const YAML::Node* v = f.Find("listen")) {
      Result<ListenAddress> a = ParseListenAddress(String(*v, f.PathOf("listen")));
      if (!a) Fail(*v, f.PathOf("listen"), a.error().what());
      c_.metrics_listen = *a;
    }
  }

  Config c_;
  DetectorThresholds defaults_;
  std::map<std::string, Where> where_;  // keys Validate may blame
};

}  // namespace

Result<Config> ParseConfig(const std::string& text, const std::string& name) {
  auto where = [&](int line) { return line > 0 ? name + ":" + std::to_string(line) : name; };
  try {
    YAML::Node root = YAML::Load(text);
    Config c = Parser().Parse(root);
    c.source = name;
    return c;
  } catch (const ConfigProblem& p) {
    return Error(where(p.line) + ": " + p.path + ": " + p.problem);
  } catch (const YAML::ParserException& e) {
    return Error(where(e.mark.is_null() ? 0 : e.mark.line + 1) + ": YAML syntax: " + e.msg);
  } catch (const YAML::Exception& e) {
    return Error(where(e.mark.is_null() ? 0 : e.mark.line + 1) + ": " + e.msg);
  }
}

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::FromErrno("read config " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Error::FromErrno("read config " + path);
  return ParseConfig(ss.str(), path);
}

}  // namespace sg
