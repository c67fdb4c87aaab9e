#include "support/bad_peer.h"

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace steward::testing {

BadPeer::BadPeer(Mode mode) : mode_(mode) {
  const std::string script =
      (std::filesystem::path(STEWARD_SOURCE_DIR) / "tests/support/bad_peer.py").string();
  std::vector<std::string> argv = {
      "/usr/bin/python3", script, mode == Mode::kGarbage ? "garbage" : "tls", dir_.path().string()};
  if (mode == Mode::kTlsSelfSigned) {
    const std::string cert = dir_.File("cert.pem"), key = dir_.File("key.pem");
    Subprocess gen({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-subj",
                    "/CN=127.0.0.1", "-days", "2"},
                   dir_.File("openssl.log"));
    auto st = gen.Wait(std::chrono::seconds(30));
    if (!st || !WIFEXITED(*st) || WEXITSTATUS(*st) != 0) {
      throw std::runtime_error("bad peer: cannot make a certificate: " +
                               ReadFile(dir_.File("openssl.log")));
    }
    argv.push_back(cert);
    argv.push_back(key);
  }
  process_ = std::make_unique<Subprocess>(argv, dir_.File("peer.log"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (port_ == 0 && std::chrono::steady_clock::now() < deadline && process_->running()) {
    const std::string text = ReadFile(dir_.File("port"));
    if (!text.empty())
      port_ = std::stoi(text);
    else
      std::this_thread::sleep_for(
          std::chrono::milliseconds(20));  // polling a file, with a deadline
  }
  if (port_ == 0)
    throw std::runtime_error("bad peer did not start: " + ReadFile(dir_.File("peer.log")));
}

BadPeer::~BadPeer() = default;  // Subprocess kills the server

std::string BadPeer::url(std::string_view path) const {
  return std::string(mode_ == Mode::kGarbage ? "http" : "https") +
         "://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

int BadPeer::connections() const {
  const std::string text = ReadFile(dir_.File("connections"));
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace steward::testing
