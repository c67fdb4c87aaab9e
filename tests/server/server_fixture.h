// A real HttpServer on 127.0.0.1:<free port> over a real SQLite store, and
// a real HTTP client (cpp-httplib) to talk to it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <httplib.h>

#include <memory>
#include <string>

#include "server/http_server.h"
#include "support/temp_dir.h"
#include "watch/fault_store.h"
#include "watch/health.h"
#include "watch/metrics.h"

namespace steward::testing {

struct HttpResult {
  int status = 0;
  nlohmann::json json;  // parsed body (null if not JSON)
  std::string body;
  httplib::Headers headers;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenStore("sqlite://" + dir_.File("api.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->Migrate().ok());
    real_ = std::shared_ptr<Store>(std::move(s).value());
    store_ = std::make_shared<FaultStore>(real_);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  // Starts the server; call after adjusting health_options_ if needed.
  void StartServer() {
    health_ = std::make_unique<HealthRegistry>(store_, health_options_);
    MetricsOptions mo;
    mo.version = "test";
    mo.backend = "sqlite";
    metrics_ = std::make_unique<MetricsObserver>(mo);
    server::ApiContext ctx;
    ctx.store = store_;
    ctx.metrics = metrics_.get();
    server::HttpServerOptions o;
    o.listen = "127.0.0.1:0";
    server_ = std::make_unique<server::HttpServer>(
        o, server::BuildRoutes(ctx, health_.get(), metrics_.get()));
    Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }

  static HttpResult Convert(const httplib::Result& r) {
    HttpResult out;
    if (!r) {
      ADD_FAILURE() << "HTTP request failed: " << httplib::to_string(r.error());
      return out;
    }
    out.status = r->status;
    out.body = r->body;
    out.headers = r->headers;
    out.json = nlohmann::json::parse(r->body, nullptr, false);
    if (out.json.is_discarded()) out.json = nullptr;
    return out;
  }
  HttpResult Get(const std::string& path) { return Convert(client_->Get(path)); }
  HttpResult Post(const std::string& path, const std::string& body,
                  const httplib::Headers& headers = {}) {
    return Convert(client_->Post(path, headers, body, "application/json"));
  }
  HttpResult Post(const std::string& path, const nlohmann::json& body,
                  const httplib::Headers& headers = {}) {
    return Post(path, body.dump(), headers);
  }
  // A plain TCP connection to the server, for requests httplib's client
  // would not send (broken framing, trickled bytes). The caller closes it.
  int RawConnect() const {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(server_->port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return fd;
  }
  static std::string ErrorCode(const HttpResult& r) {
    if (!r.json.is_object() || !r.json.contains("error")) return "<no error object: " + r.body + ">";
    return r.json["error"].value("code", "");
  }

  TempDir dir_;
  std::shared_ptr<Store> real_;
  std::shared_ptr<FaultStore> store_;
  HealthOptions health_options_;
  std::unique_ptr<HealthRegistry> health_;
  std::unique_ptr<MetricsObserver> metrics_;
  std::unique_ptr<server::HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace steward::testing
