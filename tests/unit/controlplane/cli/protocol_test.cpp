// SPDX-License-Identifier: Apache-2.0
// Tests for controlplane/cli/protocol: frames split anywhere, several per read, lengths as
// claims, reply status bytes, word splitting.
#include "controlplane/cli/protocol.hpp"

#include <gtest/gtest.h>

namespace l2tpgw::cp {
namespace {

TEST(CliProtocol, FrameLayoutIsBigEndianLengthThenPayload) {
  const std::string f = encode_request("show ipsec sa");
  ASSERT_EQ(f.size(), 4u + 13);
  EXPECT_EQ(f.substr(0, 4), std::string("\0\0\0\x0d", 4));
  EXPECT_EQ(f.substr(4), "show ipsec sa");
  const std::string r = encode_reply(Reply{ReplyStatus::NotAvailable, "later"});
  EXPECT_EQ(r, std::string("\0\0\0\x06\x02later", 10));
}

TEST(CliProtocol, DecoderReassemblesByteByByte) {
  const std::string stream = encode_request("show status l2tp") + encode_request("") + encode_request("help");
  FrameDecoder d(kMaxRequest);
  std::vector<std::string> got;
  std::string out;
  for (char c : stream) {
    d.feed(std::string_view(&c, 1));
    while (d.next(&out) == FrameDecoder::Status::Frame) got.push_back(out);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"show status l2tp", "", "help"}));
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(CliProtocol, DecoderTakesSeveralFramesFromOneRead) {
  FrameDecoder d(kMaxRequest);
  d.feed(encode_request("a") + encode_request("bb") + encode_request("ccc").substr(0, 5));
  std::string out;
  ASSERT_EQ(d.next(&out), FrameDecoder::Status::Frame);
  EXPECT_EQ(out, "a");
  ASSERT_EQ(d.next(&out), FrameDecoder::Status::Frame);
  EXPECT_EQ(out, "bb");
  EXPECT_EQ(d.next(&out), FrameDecoder::Status::NeedMore);
  d.feed("cc");
  ASSERT_EQ(d.next(&out), FrameDecoder::Status::Frame);
  EXPECT_EQ(out, "ccc");
}

TEST(CliProtocol, LengthClaimsAboveTheLimitAreRefusedBeforeBuffering) {
  FrameDecoder d(kMaxRequest);
  std::string out;
  d.feed(std::string("\0\0\x10\x01", 4));  // 4097: one above the request limit
  EXPECT_EQ(d.next(&out), FrameDecoder::Status::TooLarge);
  FrameDecoder e(kMaxRequest);
  e.feed(std::string("\xff\xff\xff\xff", 4));
  EXPECT_EQ(e.next(&out), FrameDecoder::Status::TooLarge);
  FrameDecoder f(kMaxRequest);
  f.feed(std::string("\0\0\x10\x00", 4) + std::string(4096, 'x'));  // exactly the limit
  EXPECT_EQ(f.next(&out), FrameDecoder::Status::Frame);
  EXPECT_EQ(out.size(), 4096u);
}

TEST(CliProtocol, ReplyDecoding) {
  EXPECT_EQ(decode_reply(std::string("\x00ok", 3)), (Reply{ReplyStatus::Ok, "ok"}));
  EXPECT_EQ(decode_reply(std::string("\x01", 1)), (Reply{ReplyStatus::Error, ""}));
  EXPECT_FALSE(decode_reply(""));
  EXPECT_FALSE(decode_reply(std::string("\x03x", 2))) << "unknown status";
}

TEST(CliProtocol, LongStreamsStayCompact) {
  FrameDecoder d(kMaxRequest);
  std::string out;
  for (int i = 0; i < 10000; ++i) {
    d.feed(encode_request("show counters"));
    ASSERT_EQ(d.next(&out), FrameDecoder::Status::Frame);
  }
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(CliProtocol, SplitWords) {
  EXPECT_EQ(split_words("  show\tstatus  pp 1 \n"), (std::vector<std::string>{"show", "status", "pp", "1"}));
  EXPECT_TRUE(split_words(" \t ").empty());
}

}  // namespace
}  // namespace l2tpgw::cp
