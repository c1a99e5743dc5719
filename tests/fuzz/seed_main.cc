// Writes the seed corpus (seeds.h) into a directory, emptied first so that a
// CI run starts from the same inputs every time: fuzz_xdp_seeds DIR.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "datapath_env.h"
#include "seeds.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
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
  std::printf("%zu seeds in %s\n", seeds.size(), dir.c_str());
  return 0;
}
