// SmtpSink: a real SMTP server process (Debian's python3-aiosmtpd running
// tests/support/smtp_sink.py) on 127.0.0.1 that stores every message it
// receives. Use it to test e-mail notifications end to end.
//
//   steward::testing::SmtpSink smtp;
//   SendMail("smtp://127.0.0.1:" + std::to_string(smtp.port()));
//   auto mails = smtp.WaitForMessages(1, std::chrono::seconds(5));
//   ASSERT_EQ(mails.size(), 1u);
//   EXPECT_EQ(mails[0].Header("Subject"), "...");
//
// Throws std::runtime_error when the server cannot start.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace steward::testing {

struct ReceivedMail {
  std::string raw;  // headers + body as received (CRLF or LF line ends)
  // First header value (case-insensitive name), unfolded; nullopt if absent.
  std::optional<std::string> Header(std::string_view name) const;
  std::string Body() const;  // after the first empty line
};

class SmtpSink {
 public:
  SmtpSink();
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::vector<ReceivedMail> Messages() const;
  std::vector<ReceivedMail> WaitForMessages(size_t n, std::chrono::milliseconds timeout) const;

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace steward::testing
