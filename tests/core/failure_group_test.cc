// Failure groups: variable parts of error messages become placeholders, so
// occurrences of one failure share a group id.
#include "core/failure_group.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace steward {
namespace {

std::string N(std::string_view m) { return NormalizeErrorMessage(m); }

TEST(NormalizeErrorMessage, NumbersBecomePlaceholders) {
  EXPECT_EQ(N("user 4211 not found"), "user <n> not found");
  EXPECT_EQ(N("user 977 not found"), "user <n> not found");
  EXPECT_EQ(N("balance -12.50 below 0"), "balance <n> below <n>");
  EXPECT_EQ(N("x=+7 y=(3)"), "x=<n> y=(<n>)");
  EXPECT_EQ(N("timeout after 250ms"), "timeout after <n>ms");
  EXPECT_EQ(N("range 5-3"), "range <n>-<n>");
}

TEST(NormalizeErrorMessage, NumbersInsideWordsStay) {
  EXPECT_EQ(N("v2 api returned oauth2 error"), "v2 api returned oauth2 error");
  EXPECT_EQ(N("user4211 failed"), "user4211 failed");
  EXPECT_EQ(N("flag 0x1F set"), "flag 0x1F set");
}

TEST(NormalizeErrorMessage, Uuids) {
  EXPECT_EQ(N("order 123e4567-e89b-12d3-a456-426614174000 missing"), "order <uuid> missing");
  EXPECT_EQ(N("ORDER 123E4567-E89B-12D3-A456-426614174000"), "ORDER <uuid>");
  // One group too short: not a UUID (its parts are what they are).
  EXPECT_EQ(N("id 123e4567-e89b-12d3-a456-42661417400"), "id <hex>-e89b-<n>d3-a456-<n>");
}

TEST(NormalizeErrorMessage, Hex) {
  EXPECT_EQ(N("commit 9fceb02d0ae598e95dc970b74767f19372d61af8 bad"), "commit <hex> bad");
  EXPECT_EQ(N("address 0xdeadbeef0 null"), "address <hex> null");
  EXPECT_EQ(N("address 0x0000000000 null"), "address <hex> null");
  EXPECT_EQ(N("token a1b2c3d4 expired"), "token <hex> expired");
  // Short ones, and plain words made of a-f letters, are not ids.
  EXPECT_EQ(N("token a1b2c3 expired"), "token a1b2c3 expired");
  EXPECT_EQ(N("deadbeef effaced"), "deadbeef effaced");
  // Digits only: a number.
  EXPECT_EQ(N("id 12345678901"), "id <n>");
}

TEST(NormalizeErrorMessage, QuotedStrings) {
  EXPECT_EQ(N("no such table 'users_2024'"), "no such table '<str>'");
  EXPECT_EQ(N(R"(key "a b \" c" not found)"), "key \"<str>\" not found");
  EXPECT_EQ(N("can't find 'bob' or 'alice'"), "can't find '<str>' or '<str>'");
  // An unclosed quote is kept as written.
  EXPECT_EQ(N("can't open 'file"), "can't open 'file");
}

TEST(NormalizeErrorMessage, Emails) {
  EXPECT_EQ(N("bounce from jane.doe+tag@mail.example.com: full"), "bounce from <email>: full");
  EXPECT_EQ(N("<bob@example.org>"), "<<email>>");
  EXPECT_EQ(N("user@localhost"), "user@localhost");  // no dot in the domain
}

TEST(NormalizeErrorMessage, Ips) {
  EXPECT_EQ(N("connect 10.0.12.7:5432 refused"), "connect <ip> refused");
  EXPECT_EQ(N("from 192.168.1.1, retrying"), "from <ip>, retrying");
  EXPECT_EQ(N("version 1.2.3"), "version <n>.<n>");
}

TEST(NormalizeErrorMessage, WhitespaceIsCollapsedAndTrimmed) {
  EXPECT_EQ(N("  a \t\n b\r\n  c  "), "a b c");
  EXPECT_EQ(N(""), "");
  EXPECT_EQ(N(" \n "), "");
}

TEST(NormalizeErrorMessage, CutAt300BytesOnAUtf8Boundary) {
  // 299 ASCII bytes then a 2-byte "é": byte 300 is the middle of it.
  std::string m(299, 'a');
  m += "\xC3\xA9tail";
  const std::string n = N(m);
  EXPECT_EQ(n, std::string(299, 'a'));
  std::string long_ascii(1000, 'x');
  EXPECT_EQ(N(long_ascii).size(), 300u);
  // A 3-byte character straddling the cut is dropped whole.
  std::string m3(298, 'a');
  m3 += "\xE2\x82\xAC";  // €
  m3 += "zzz";
  EXPECT_EQ(N(m3), std::string(298, 'a'));
}

TEST(NormalizeErrorMessage, NeverThrowsOnArbitraryBytes) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  EXPECT_NO_THROW(N(bytes));
  EXPECT_LE(N(bytes + bytes).size(), 300u);
}

TEST(FailureGroupId, SixteenLowercaseHexDigits) {
  const std::string id = FailureGroupId("email.send", "user <n> not found");
  ASSERT_EQ(id.size(), 16u);
  for (char c : id) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
}

TEST(FailureGroupId, IsStableAcrossVersions) {
  // SHA-256("email.send\nuser <n> not found"), first 8 bytes. Changing this
  // splits every stored link and group: only on purpose.
  EXPECT_EQ(FailureGroupId("email.send", "user <n> not found"), "b1be969cf3a6fc49");
  EXPECT_EQ(FailureGroupId("", ""), "01ba4719c80b6fe9");  // SHA-256("\n")
}

TEST(FailureGroupId, SameFailureSameGroupOtherKindOrMessageOtherGroup) {
  const std::string a = FailureGroupId("email.send", N("user 4211 not found"));
  EXPECT_EQ(a, FailureGroupId("email.send", N("user  977 not found")));
  std::set<std::string> ids = {a, FailureGroupId("sms.send", N("user 4211 not found")),
                               FailureGroupId("email.send", N("user 4211 is gone"))};
  EXPECT_EQ(ids.size(), 3u);
}

}  // namespace
}  // namespace steward
