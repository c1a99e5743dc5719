#include "system/state_file.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "system/bpffs.h"
#include "util/atomic_file.h"

namespace sg {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string StateToJson(const DaemonState& s) {
  std::ostringstream o;
  o.precision(15);
  o << "{\"pid\": " << s.pid << ", \"version\": " << JsonString(s.version)
    << ", \"config\": " << JsonString(s.config) << ", \"handoff\": " << JsonString(s.handoff)
    << ", \"secret_source\": " << JsonString(s.secret_source)
    << ", \"started_unix\": " << s.started_unix
    << ", \"secret_since_unix\": " << s.secret_since_unix
    << ", \"secret_rotations\": " << s.secret_rotations
    << ", \"self_test_ok\": " << (s.self_test_ok ? "true" : "false")
    << ", \"leave_pinned_on_exit\": " << (s.leave_pinned_on_exit ? "true" : "false")
    << ", \"on_crash\": " << JsonString(s.on_crash)
    << ", \"crash_keeps_protecting\": " << (s.crash_keeps_protecting ? "true" : "false")
    << ", \"crash_note\": " << JsonString(s.crash_note) << ", \"reloads_ok\": " << s.reloads_ok
    << ", \"reloads_failed\": " << s.reloads_failed << ", \"interfaces\": [";
  for (size_t i = 0; i < s.interfaces.size(); ++i) {
    const InterfaceState& f = s.interfaces[i];
    o << (i ? ", " : "") << "{\"name\": " << JsonString(f.name)
      << ", \"xdp_mode\": " << JsonString(f.xdp_mode)
      << ", \"fell_back\": " << (f.fell_back ? "true" : "false")
      << ", \"took_over\": " << (f.took_over ? "true" : "false")
      << ", \"pin_dir\": " << JsonString(f.pin_dir)
      << ", \"missing\": " << (f.missing ? "true" : "false") << "}";
  }
  o << "], \"ports\": [";
  for (size_t i = 0; i < s.ports.size(); ++i)
    o << (i ? ", " : "") << "{\"port\": " << s.ports[i].port
      << ", \"engage\": " << JsonString(s.ports[i].engage) << "}";
  o << "], \"kernel_release\": " << JsonString(s.kernel_release) << ", \"features\": [";
  for (size_t i = 0; i < s.features.size(); ++i)
    o << (i ? ", " : "") << "{\"name\": " << JsonString(s.features[i].name)
      << ", \"available\": " << (s.features[i].available ? "true" : "false")
      << ", \"fallback\": " << JsonString(s.features[i].fallback) << "}";
  o << "]}\n";
  return o.str();
}

Result<DaemonState> ParseState(const std::string& text, const std::string& source) {
  // JSON is YAML's flow style: the config's parser reads it.
  try {
    YAML::Node n = YAML::Load(text);
    DaemonState s;
    s.pid = n["pid"].as<int64_t>(0);
    s.version = n["version"].as<std::string>("");
    s.config = n["config"].as<std::string>("");
    s.handoff = n["handoff"].as<std::string>("");
    s.secret_source = n["secret_source"].as<std::string>("");
    s.started_unix = n["started_unix"].as<double>(0);
    s.secret_since_unix = n["secret_since_unix"].as<double>(0);
    s.secret_rotations = n["secret_rotations"].as<uint64_t>(0);
    s.self_test_ok = n["self_test_ok"].as<bool>(false);
    s.leave_pinned_on_exit = n["leave_pinned_on_exit"].as<bool>(false);
    s.on_crash = n["on_crash"].as<std::string>("");
    s.crash_keeps_protecting = n["crash_keeps_protecting"].as<bool>(false);
    s.crash_note = n["crash_note"].as<std::string>("");
    s.reloads_ok = n["reloads_ok"].as<uint64_t>(0);
    s.reloads_failed = n["reloads_failed"].as<uint64_t>(0);
    for (const YAML::Node& f : n["interfaces"]) {
      s.interfaces.push_back({f["name"].as<std::string>(""), f["xdp_mode"].as<std::string>(""),
                              f["fell_back"].as<bool>(false), f["took_over"].as<bool>(false),
                              f["pin_dir"].as<std::string>(""), f["missing"].as<bool>(false)});
    }
    for (const YAML::Node& p : n["ports"])
      s.ports.push_back({p["port"].as<uint16_t>(0), p["engage"].as<std::string>("")});
    s.kernel_release = n["kernel_release"].as<std::string>("");
    for (const YAML::Node& f : n["features"])
      s.features.push_back({f["name"].as<std::string>(""), f["available"].as<bool>(false),
                            f["fallback"].as<std::string>("")});
    return s;
  } catch (const YAML::Exception& e) {
    return Error("state file " + source + " is damaged: " + e.msg);
  }
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
