#include "support/smtp_sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace steward::testing {

namespace {

// A port the kernel considers free right now (tiny race, fine for tests).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("smtp sink: cannot find a free port");
  }
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> ReceivedMail::Header(std::string_view name) const {
  const std::string want = Lower(name);
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t eol = raw.find('\n', pos);
    std::string line = raw.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;  // end of headers
    auto colon = line.find(':');
    if (colon != std::string::npos && Lower(line.substr(0, colon)) == want) {
      std::string value = line.substr(colon + 1);
      // Unfold continuation lines.
      size_t next = eol == std::string::npos ? raw.size() : eol + 1;
      while (next < raw.size() && (raw[next] == ' ' || raw[next] == '\t')) {
        size_t e2 = raw.find('\n', next);
        std::string cont = raw.substr(next, e2 == std::string::npos ? std::string::npos : e2 - next);
        if (!cont.empty() && cont.back() == '\r') cont.pop_back();
        value += cont;
        next = e2 == std::string::npos ? raw.size() : e2 + 1;
      }
      size_t b = value.find_first_not_of(" \t");
      return b == std::string::npos ? std::string() : value.substr(b);
    }
    pos = eol == std::string::npos ? raw.size() : eol + 1;
  }
  return std::nullopt;
}

std::string ReceivedMail::Body() const {
  size_t p = raw.find("\r\n\r\n");
  if (p != std::string::npos) return raw.substr(p + 4);
  p = raw.find("\n\n");
  return p == std::string::npos ? std::string() : raw.substr(p + 2);
}

SmtpSink::SmtpSink() {
  const std::string script_dir = (std::filesystem::path(STEWARD_SOURCE_DIR) / "tests/support").string();
  for (int tries = 0; tries < 3 && !process_; ++tries) {
    port_ = FreePort();
    auto p = std::make_unique<Subprocess>(
        std::vector<std::string>{"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l",
                                 "127.0.0.1:" + std::to_string(port_), "-c",
                                 "smtp_sink.DirectorySink", dir_.File("mail")},
        dir_.File("smtp.log"), std::vector<std::string>{"PYTHONPATH=" + script_dir});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline && p->running() && !Accepts(port_)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (p->running() && Accepts(port_)) process_ = std::move(p);
  }
  if (!process_) {
    throw std::runtime_error("smtp sink did not start: " + ReadFile(dir_.File("smtp.log")));
  }
}

SmtpSink::~SmtpSink() = default;  // Subprocess kills the server

std::vector<ReceivedMail> SmtpSink::Messages() const {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_.File("mail"), ec)) {
    if (e.path().extension() == ".eml") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<ReceivedMail> out;
  for (const auto& f : files) out.push_back(ReceivedMail{ReadFile(f)});
  return out;
}

std::vector<ReceivedMail> SmtpSink::WaitForMessages(size_t n, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto got = Messages();
  while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    got = Messages();
  }
  return got;
}

}  // namespace steward::testing
