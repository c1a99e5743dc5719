// The Prometheus collector against fake per-CPU maps: sums across CPUs,
// names and labels, and no partial output when a read fails.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <memory>
#include <string>

#include "fake_per_cpu_map.h"
#include "metrics/collector.h"
#include "synguard/shared.h"

namespace {

using sg::testing::FakePerCpuMap;

struct Fixture {
  std::shared_ptr<FakePerCpuMap> reasons = std::make_shared<FakePerCpuMap>(3, 1);
  std::shared_ptr<FakePerCpuMap> ports = std::make_shared<FakePerCpuMap>(3, 4);
  std::shared_ptr<sg::SynguardCollector> collector;

  Fixture() {
    sg::CollectorSources src;
    src.reasons = reasons;
    src.port_stats = ports;
    src.version = "9.9.9";
    src.snapshot = [] {
      sg::MetricsSnapshot s;
      sg::PortSnapshot p;
      p.port = 443;
      p.stats_slot = 1;
      p.engaged = true;
      p.engage_events = 2;
      p.listener_seen = true;
      p.listen_backlog = 4096;
      p.accept_queue = 3;
      p.syn_recv = 0;
      s.ports.push_back(p);
      s.interfaces.push_back({"eth0", "native", false});
      s.handoff_mode = "reqsk";
      return s;
    };
    collector = std::make_shared<sg::SynguardCollector>(src);
  }

  std::string Scrape() {
    prometheus::TextSerializer text;
    return text.Serialize(collector->Collect());
  }
};

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(MetricsCollector, SumsEveryCpu) {
  Fixture f;
  f.reasons->Set(SG_R_TX_SYNACK, 0, 0, 10);
  f.reasons->Set(SG_R_TX_SYNACK, 1, 0, 20);
  f.reasons->Set(SG_R_TX_SYNACK, 2, 0, 12);
  f.reasons->Set(SG_R_DROP_BAD_MAC, 2, 0, 5);
  f.reasons->Set(SG_R_HANDOFF_OK, 0, 0, 7);
  f.ports->Set(1, 0, 0, 100);  // syn, CPU 0
  f.ports->Set(1, 2, 0, 1);    // syn, CPU 2
  f.ports->Set(1, 1, 3, 9);    // ack_invalid, CPU 1
  std::string t = f.Scrape();
  EXPECT_TRUE(Has(t, "synguard_synacks_sent_total 42")) << t;
  EXPECT_TRUE(Has(t, "synguard_packets_total{verdict=\"tx\",reason=\"syncookie_synack\"} 42")) << t;
  EXPECT_TRUE(Has(t, "synguard_packets_total{verdict=\"drop\",reason=\"cookie_bad_mac\"} 5"));
  EXPECT_TRUE(Has(t, "synguard_cookie_acks_total{result=\"bad_mac\"} 5"));
  EXPECT_TRUE(Has(t, "synguard_handoffs_total{result=\"ok\"} 7"));
  EXPECT_TRUE(Has(t, "synguard_port_syns_total{port=\"443\"} 101")) << t;
  EXPECT_TRUE(Has(t, "synguard_port_cookie_acks_total{port=\"443\",result=\"invalid\"} 9"));
  EXPECT_TRUE(Has(t, "synguard_port_engaged{port=\"443\"} 1"));
  EXPECT_TRUE(Has(t, "synguard_listener_backlog{port=\"443\"} 4096"));
  EXPECT_TRUE(Has(
      t, "synguard_xdp_attached_info{interface=\"eth0\",mode=\"native\",fell_back=\"false\"} 1"));
  EXPECT_TRUE(Has(t, "synguard_build_info{version=\"9.9.9\"} 1"));
  EXPECT_TRUE(Has(t, "synguard_scrape_errors_total 0"));
  EXPECT_NE(t.find("process_open_fds "), std::string::npos);
}

TEST(MetricsCollector, ReadErrorLeavesBpfFamiliesOutAndIsCounted) {
  Fixture f;
  f.reasons->Set(SG_R_TX_SYNACK, 0, 0, 10);
  f.reasons->set_fail(true);
  std::string t = f.Scrape();
  EXPECT_EQ(t.find("synguard_packets_total"), std::string::npos) << "no partial output";
  EXPECT_EQ(t.find("synguard_synacks_sent_total"), std::string::npos);
  EXPECT_EQ(t.find("synguard_port_syns_total"), std::string::npos);
  EXPECT_TRUE(Has(t, "synguard_scrape_errors_total 1"));
  EXPECT_TRUE(Has(t, "synguard_port_engaged{port=\"443\"} 1")) << "daemon state still there";

  f.reasons->set_fail(false);
  t = f.Scrape();
  EXPECT_TRUE(Has(t, "synguard_synacks_sent_total 10"));
  EXPECT_TRUE(Has(t, "synguard_scrape_errors_total 1")) << "the counter keeps its count";
}

TEST(MetricsCollector, PortStatsErrorAlsoLeavesEverythingBpfOut) {
  Fixture f;
  f.ports->set_fail(true);
  std::string t = f.Scrape();
  EXPECT_EQ(t.find("synguard_packets_total"), std::string::npos);
  EXPECT_TRUE(Has(t, "synguard_scrape_errors_total 1"));
}

TEST(MetricsCollector, EveryReasonIsExportedOnceAndLabelsAreBounded) {
  Fixture f;
  std::string t = f.Scrape();
  for (int r = 0; r < SG_R_MAX; ++r)
    EXPECT_NE(t.find(std::string("\"") + sg_reason_names[r] + "\""), std::string::npos)
        << sg_reason_names[r];
  // Counters follow the convention.
  for (const auto& fam : f.collector->Collect()) {
    if (fam.type == prometheus::MetricType::Counter) {
      EXPECT_TRUE(fam.name.ends_with("_total")) << fam.name;
    }
  }
}

}  // namespace
