// util/atomic_file.h: the file holds the old contents or the new, the
// temporary file never stays, and a failure leaves the old file alone.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/atomic_file.h"

namespace sg {
namespace {

namespace fs = std::filesystem;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AtomicFile : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sg_atomic_XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/state.json";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_, path_;
};

TEST_F(AtomicFile, WritesAndReplaces) {
  EXPECT_EQ(AtomicTempPath(path_), path_ + ".tmp");
  ASSERT_TRUE(WriteFileAtomically(path_, "first\n"));
  EXPECT_EQ(Read(path_), "first\n");
  ASSERT_TRUE(WriteFileAtomically(path_, std::string(100000, 'x')));
  EXPECT_EQ(Read(path_).size(), 100000u);
  ASSERT_TRUE(WriteFileAtomically(path_, ""));
  EXPECT_EQ(Read(path_), "");
  EXPECT_FALSE(fs::exists(AtomicTempPath(path_)));
}

TEST_F(AtomicFile, ModeIsANewFilesUnderTheUmask) {
  const mode_t old = umask(022);
  ASSERT_TRUE(WriteFileAtomically(path_, "x"));
  umask(old);
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(AtomicFile, AFailureLeavesTheOldFile) {
  ASSERT_TRUE(WriteFileAtomically(path_, "old"));
  // A directory where the file goes: the rename fails, nothing changes.
  const std::string blocked = dir_ + "/blocked";
  fs::create_directories(blocked + "/inside");
  Status s = WriteFileAtomically(blocked, "new");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("rename " + blocked + ".tmp to " + blocked), std::string::npos)
      << s.error().message();
  EXPECT_FALSE(fs::exists(AtomicTempPath(blocked)));
  EXPECT_TRUE(fs::is_directory(blocked));
  // No directory: nothing is created.
  Status missing = WriteFileAtomically(dir_ + "/no/such/file", "x");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("No such file or directory"), std::string::npos);
  EXPECT_EQ(Read(path_), "old");
}

}  // namespace
}  // namespace sg
