#include "system/state_file.h"

#include <fstream>
#include <sstream>

#include "system/bpffs.h"
#include "util/atomic_file.h"
#include "util/json.h"

namespace sg {

namespace {

Json InterfaceToJson(const InterfaceState& f) {
  return {{"name", f.name},           {"xdp_mode", f.xdp_mode}, {"fell_back", f.fell_back},
          {"took_over", f.took_over}, {"pin_dir", f.pin_dir},   {"missing", f.missing}};
}

InterfaceState InterfaceFromJson(const Json& f) {
  return {JsonField(f, "name", std::string()),    JsonField(f, "xdp_mode", std::string()),
          JsonField(f, "fell_back", false),       JsonField(f, "took_over", false),
          JsonField(f, "pin_dir", std::string()), JsonField(f, "missing", false)};
}

}  // namespace

std::string StateToJson(const DaemonState& s) {
  Json j = {{"pid", s.pid},
            {"version", s.version},
            {"config", s.config},
            {"handoff", s.handoff},
            {"secret_source", s.secret_source},
            {"started_unix", s.started_unix},
            {"secret_since_unix", s.secret_since_unix},
            {"secret_rotations", s.secret_rotations},
            {"self_test_ok", s.self_test_ok},
            {"leave_pinned_on_exit", s.leave_pinned_on_exit},
            {"on_crash", s.on_crash},
            {"crash_keeps_protecting", s.crash_keeps_protecting},
            {"crash_note", s.crash_note},
            {"reloads_ok", s.reloads_ok},
            {"reloads_failed", s.reloads_failed},
            {"interfaces", Json::array()},
            {"ports", Json::array()},
            {"kernel_release", s.kernel_release},
            {"features", Json::array()}};
  for (const InterfaceState& f : s.interfaces) j["interfaces"].push_back(InterfaceToJson(f));
  for (const PortState& p : s.ports) j["ports"].push_back({{"port", p.port}, {"engage", p.engage}});
  for (const FeatureState& f : s.features)
    j["features"].push_back(
        {{"name", f.name}, {"available", f.available}, {"fallback", f.fallback}});
  return JsonText(j);
}

Result<DaemonState> ParseState(const std::string& text, const std::string& source) {
  Result<Json> parsed = ParseJson(text);
  if (!parsed) return parsed.take_error().Context("state file " + source + " is damaged");
  const Json& n = *parsed;
  if (!n.is_object()) return Error("state file " + source + " is damaged: not a JSON object");
  DaemonState s;
  s.pid = JsonField<int64_t>(n, "pid", 0);
  s.version = JsonField(n, "version", std::string());
  s.config = JsonField(n, "config", std::string());
  s.handoff = JsonField(n, "handoff", std::string());
  s.secret_source = JsonField(n, "secret_source", std::string());
  s.started_unix = JsonField(n, "started_unix", 0.0);
  s.secret_since_unix = JsonField(n, "secret_since_unix", 0.0);
  s.secret_rotations = JsonField<uint64_t>(n, "secret_rotations", 0);
  s.self_test_ok = JsonField(n, "self_test_ok", false);
  s.leave_pinned_on_exit = JsonField(n, "leave_pinned_on_exit", false);
  s.on_crash = JsonField(n, "on_crash", std::string());
  s.crash_keeps_protecting = JsonField(n, "crash_keeps_protecting", false);
  s.crash_note = JsonField(n, "crash_note", std::string());
  s.reloads_ok = JsonField<uint64_t>(n, "reloads_ok", 0);
  s.reloads_failed = JsonField<uint64_t>(n, "reloads_failed", 0);
  for (const Json& f : JsonArray(n, "interfaces")) s.interfaces.push_back(InterfaceFromJson(f));
  for (const Json& p : JsonArray(n, "ports"))
    s.ports.push_back({JsonField<uint16_t>(p, "port", 0), JsonField(p, "engage", std::string())});
  s.kernel_release = JsonField(n, "kernel_release", std::string());
  for (const Json& f : JsonArray(n, "features"))
    s.features.push_back({JsonField(f, "name", std::string()), JsonField(f, "available", false),
                          JsonField(f, "fallback", std::string())});
  return s;
}

std::string StateFilePath(const std::string& dir, uint64_t netns_inode) {
  return dir + "/" + std::to_string(netns_inode) + ".json";
}

Status WriteStateFile(const std::string& path, const DaemonState& s) {
  if (Status st = MakeDirs(path.substr(0, path.rfind('/'))); !st) return st;
  if (Status st = WriteFileAtomically(path, StateToJson(s)); !st)
    return st.take_error().Context("write state file " + path);
  return Ok();
}

Result<DaemonState> ReadStateFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::FromErrno("read state file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseState(ss.str(), path);
}

}  // namespace sg
