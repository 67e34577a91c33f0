// SPDX-License-Identifier: Apache-2.0
// ConfigStore: load replaces the running configuration or changes nothing; show masks secrets.
#include "controlplane/daemon/config_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace l2tpgw::cp {
namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/l2tpgw-config-store-XXXXXX";
    const int fd = mkstemp(tmpl);
    path_ = tmpl;
    ::close(fd);
    write(text);
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  void write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr const char* kGood =
    "tunnel select 1\n"
    " tunnel encapsulation l2tp\n"
    " ipsec tunnel 1\n"
    "  ipsec sa policy 1 1 esp aes-cbc sha-hmac\n"
    "  ipsec ike pre-shared-key 1 text SuperSecret123\n"
    "  ipsec ike remote address 1 any\n"
    " tunnel enable 1\n"
    "ipsec transport 1 1 udp 1701\n"
    "l2tp service on\n";

TEST(ConfigStore, ShowBeforeAnyLoadIsAnError) {
  ConfigStore s;
  EXPECT_EQ(s.show().status, ReplyStatus::Error);
  EXPECT_FALSE(s.running());
}

TEST(ConfigStore, LoadThenShowMasksTheKey) {
  TempFile f(kGood);
  ConfigStore s;
  const Reply r = s.load(f.path());
  ASSERT_EQ(r.status, ReplyStatus::Ok) << r.text;
  ASSERT_TRUE(s.running());
  const Reply shown = s.show();
  EXPECT_EQ(shown.status, ReplyStatus::Ok);
  EXPECT_NE(shown.text.find("ipsec ike pre-shared-key 1 text"), std::string::npos) << shown.text;
  EXPECT_EQ(shown.text.find("SuperSecret123"), std::string::npos) << shown.text;
}

TEST(ConfigStore, BrokenFileChangesNothingAndNamesTheLine) {
  TempFile f(kGood);
  ConfigStore s;
  ASSERT_EQ(s.load(f.path()).status, ReplyStatus::Ok);
  const std::string before = s.show().text;
  f.write(std::string(kGood) + "ipsec ike encryption 1 rot13\n");
  const Reply r = s.load(f.path());
  EXPECT_EQ(r.status, ReplyStatus::Error);
  EXPECT_NE(r.text.find(f.path() + ":10:"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("unchanged"), std::string::npos) << r.text;
  EXPECT_EQ(s.show().text, before);
}

TEST(ConfigStore, ReloadReportsTheDifference) {
  TempFile f(kGood);
  ConfigStore s;
  ASSERT_EQ(s.load(f.path()).status, ReplyStatus::Ok);
  const Reply same = s.load(f.path());
  EXPECT_EQ(same.status, ReplyStatus::Ok);
  EXPECT_NE(same.text.find("no change"), std::string::npos) << same.text;
  f.write(std::string(kGood) + "tunnel select 2\n tunnel encapsulation l2tp\n tunnel enable 2\n");
  const Reply changed = s.load(f.path());
  EXPECT_EQ(changed.status, ReplyStatus::Ok) << changed.text;
  EXPECT_EQ(changed.text.find("no change"), std::string::npos) << changed.text;
  EXPECT_EQ(changed.text.find("SuperSecret123"), std::string::npos) << changed.text;
}

}  // namespace
}  // namespace l2tpgw::cp
