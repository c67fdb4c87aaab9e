// BadPeer: a real misbehaving server process on 127.0.0.1 (Debian's python3
// running tests/support/bad_peer.py), for tests of what Steward does when a
// receiver is broken rather than down.
//
//   steward::testing::BadPeer garbage(BadPeer::Mode::kGarbage);
//   Deliver(garbage.url("/hook"));          // "http://127.0.0.1:<port>/hook"
//   EXPECT_GE(garbage.connections(), 1);     // it really was reached
//
// kGarbage answers every request with bytes that are not HTTP. kTlsSelfSigned
// serves TLS with a freshly generated self-signed certificate (openssl CLI),
// so a verifying client fails the handshake; its url() is https://.
//
// Throws std::runtime_error when the server cannot start.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace steward::testing {

class BadPeer {
 public:
  enum class Mode { kGarbage, kTlsSelfSigned };

  explicit BadPeer(Mode mode);
  ~BadPeer();
  BadPeer(const BadPeer&) = delete;
  BadPeer& operator=(const BadPeer&) = delete;

  int port() const { return port_; }
  std::string url(std::string_view path = "/") const;
  // Connections accepted so far.
  int connections() const;

 private:
  Mode mode_;
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace steward::testing
