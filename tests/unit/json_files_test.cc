// The state file and the restore record as JSON (util/json.h): the keys and
// their order as before the library, files written by the previous,
// hand-written writer still read, and any bytes in a string stay valid JSON.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "system/restore_record.h"
#include "system/state_file.h"
#include "util/json.h"

namespace sg {
namespace {

std::vector<std::string> Keys(const Json& j) {
  std::vector<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.push_back(it.key());
  return out;
}

TEST(JsonFiles, StateFileKeepsItsKeysInOrder) {
  DaemonState s;
  s.interfaces = {{"eth0", "native", false, true, "/p", false}};
  s.ports = {{443, "auto"}};
  s.features = {{"bpf_loop", false, "one SYN option walk"}};
  const std::string text = StateToJson(s);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one line";
  Result<Json> j = ParseJson(text);
  ASSERT_TRUE(j) << j.error().message();
  EXPECT_EQ(Keys(*j),
            (std::vector<std::string>{
                "pid", "version", "config", "handoff", "secret_source", "started_unix",
                "secret_since_unix", "secret_rotations", "self_test_ok", "leave_pinned_on_exit",
                "on_crash", "crash_keeps_protecting", "crash_note", "reloads_ok", "reloads_failed",
                "interfaces", "ports", "kernel_release", "features"}));
  EXPECT_EQ(Keys((*j)["interfaces"][0]),
            (std::vector<std::string>{"name", "xdp_mode", "fell_back", "took_over", "pin_dir",
                                      "missing"}));
  EXPECT_EQ(Keys((*j)["ports"][0]), (std::vector<std::string>{"port", "engage"}));
  EXPECT_EQ(Keys((*j)["features"][0]), (std::vector<std::string>{"name", "available", "fallback"}));
}

// Exactly what the hand-written writer of the previous version produced.
constexpr const char* kOldStateFile =
    "{\"pid\": 4242, \"version\": \"0.1.0\", \"config\": \"/etc/syn\\\"guard\\u0001.yaml\", "
    "\"handoff\": \"reqsk\", \"secret_source\": \"random (getrandom)\", \"started_unix\": "
    "1700000000.25, \"secret_since_unix\": 1700000100.5, \"secret_rotations\": 3, "
    "\"self_test_ok\": true, \"leave_pinned_on_exit\": false, \"on_crash\": "
    "\"keep_protecting\", \"crash_keeps_protecting\": true, \"crash_note\": \"\", "
    "\"reloads_ok\": 1, \"reloads_failed\": 2, \"interfaces\": [{\"name\": \"eth0\", "
    "\"xdp_mode\": \"native\", \"fell_back\": false, \"took_over\": true, \"pin_dir\": "
    "\"/sys/fs/bpf/synguard/1/eth0\", \"missing\": false}, {\"name\": \"eth1\", \"xdp_mode\": "
    "\"skb\", \"fell_back\": true, \"took_over\": false, \"pin_dir\": \"\", \"missing\": true}], "
    "\"ports\": [{\"port\": 443, \"engage\": \"auto\"}, {\"port\": 22, \"engage\": "
    "\"always\"}], \"kernel_release\": \"6.1.0-18-amd64\", \"features\": [{\"name\": "
    "\"bpf_loop\", \"available\": true, \"fallback\": \"\"}]}\n";

TEST(JsonFiles, AStateFileOfThePreviousVersionReads) {
  Result<DaemonState> s = ParseState(kOldStateFile, "old");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->pid, 4242);
  EXPECT_EQ(s->config, "/etc/syn\"guard\x01.yaml");
  EXPECT_DOUBLE_EQ(s->started_unix, 1700000000.25);
  EXPECT_DOUBLE_EQ(s->secret_since_unix, 1700000100.5);
  EXPECT_EQ(s->secret_rotations, 3u);
  EXPECT_TRUE(s->self_test_ok);
  EXPECT_EQ(s->on_crash, "keep_protecting");
  EXPECT_EQ(s->reloads_failed, 2u);
  ASSERT_EQ(s->interfaces.size(), 2u);
  EXPECT_TRUE(s->interfaces[0].took_over);
  EXPECT_TRUE(s->interfaces[1].missing);
  ASSERT_EQ(s->ports.size(), 2u);
  EXPECT_EQ(s->ports[1].port, 22);
  ASSERT_EQ(s->features.size(), 1u);
  EXPECT_TRUE(s->features[0].available);
  // And the new writer writes what it read.
  Result<DaemonState> again = ParseState(StateToJson(*s), "new");
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->config, s->config);
  EXPECT_EQ(again->kernel_release, s->kernel_release);
}

TEST(JsonFiles, ARestoreRecordOfThePreviousVersionReads) {
  Result<RestoreState> r = ParseRestore(
      "{\"netns_id\": \"0a1b/4096\", \"sysctls\": [{\"name\": \"net.core.somaxconn\", "
      "\"original\": \"4096\", \"set\": \"8192\"}, {\"name\": \"net.ipv4.tcp_rmem\", "
      "\"original\": \"4096\\t131072\\t6291456\", \"set\": \"x\"}], \"clsact\": [\"eth0\"]}\n",
      "old");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->netns_id, "0a1b/4096");
  ASSERT_EQ(r->sysctls.size(), 2u);
  EXPECT_EQ(r->sysctls[1].original, "4096\t131072\t6291456");
  EXPECT_EQ(r->clsact, std::vector<std::string>{"eth0"});
  Result<Json> j = ParseJson(RestoreToJson(*r));
  ASSERT_TRUE(j);
  EXPECT_EQ(Keys(*j), (std::vector<std::string>{"netns_id", "sysctls", "clsact"}));
  EXPECT_EQ(Keys((*j)["sysctls"][0]), (std::vector<std::string>{"name", "original", "set"}));
}

TEST(JsonFiles, BytesThatAreNotUtf8StillMakeJson) {
  DaemonState s;
  s.config = std::string("/etc/\xff\xfe.yaml");
  Result<Json> j = ParseJson(StateToJson(s));
  ASSERT_TRUE(j) << j.error().message();
  EXPECT_EQ((*j)["config"], "/etc/\xEF\xBF\xBD\xEF\xBF\xBD.yaml");  // U+FFFD each
}

TEST(JsonFiles, FieldsOfTheWrongTypeOrMissingReadAsDefaults) {
  Result<Json> j = ParseJson("{\"a\": \"x\", \"b\": 3, \"c\": true, \"d\": [1]}");
  ASSERT_TRUE(j);
  EXPECT_EQ(JsonField(*j, "a", std::string("def")), "x");
  EXPECT_EQ(JsonField(*j, "b", std::string("def")), "def");
  EXPECT_EQ(JsonField<int64_t>(*j, "b", 0), 3);
  EXPECT_EQ(JsonField<int64_t>(*j, "a", 7), 7);
  EXPECT_TRUE(JsonField(*j, "c", false));
  EXPECT_FALSE(JsonField(*j, "b", false));
  EXPECT_EQ(JsonArray(*j, "d").size(), 1u);
  EXPECT_TRUE(JsonArray(*j, "a").empty());
  EXPECT_TRUE(JsonArray(*j, "missing").empty());
  EXPECT_FALSE(ParseJson("{\"a\": "));
}

}  // namespace
}  // namespace sg
