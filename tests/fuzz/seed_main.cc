// Writes the seed corpus (seeds.h) into a directory, emptied first so that a
// CI run starts from the same inputs every time: fuzz_xdp_seeds DIR [MODE].
// MODE (reqsk, kernel-cookie or tc; default SG_FUZZ_MODE, else reqsk) is the
// world the seeds are made in: kernel-cookie ACK seeds carry the kernel's
// cookies of that run (stale after two minutes, like any kernel cookie).
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "datapath_env.h"
#include "seeds.h"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [reqsk|kernel-cookie|tc]\n", argv[0]);
    return 2;
  }
  sg::fuzz::FuzzMode mode = sg::fuzz::DatapathEnv::ModeFromEnvironment(sg::fuzz::FuzzMode::kReqsk);
  if (argc == 3) {
    auto m = sg::fuzz::ParseFuzzMode(argv[2]);
    if (!m) {
      std::fprintf(stderr, "%s: unknown mode %s\n", argv[0], argv[2]);
      return 2;
    }
    mode = *m;
  }
  sg::fuzz::DatapathEnv::Configure(mode);
  std::filesystem::path dir = argv[1];
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "create %s: %s\n", dir.c_str(), ec.message().c_str());
    return 1;
  }
  auto seeds = sg::fuzz::SeedFrames(sg::fuzz::DatapathEnv::Get());
  for (const auto& [name, frame] : seeds) {
    std::ofstream f(dir / name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(frame.data()),
            static_cast<std::streamsize>(frame.size()));
    if (!f) {
      std::fprintf(stderr, "write %s/%s failed\n", dir.c_str(), name.c_str());
      return 1;
    }
  }
  std::printf("%zu seeds (%s) in %s\n", seeds.size(), sg::fuzz::ToString(mode), dir.c_str());
  return 0;
}
