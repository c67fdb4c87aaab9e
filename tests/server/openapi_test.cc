// docs/openapi.json and the server's route table must describe the same
// routes: every documented route exists and every registered one is documented.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "server/http_server.h"

namespace steward {
namespace {

TEST(OpenApiTest, DocumentAndRouteTableMatch) {
  const char* src = std::getenv("STEWARD_SOURCE_DIR");
  std::string path = std::string(src ? src : ".") + "/docs/openapi.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = nlohmann::json::parse(ss.str());
  ASSERT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");

  std::set<std::string> documented;
  for (const auto& [p, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (method == "parameters") continue;
      std::string m = method;
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(m + " " + p);
      EXPECT_TRUE(op.contains("responses")) << m << " " << p;
    }
  }

  HealthRegistry health(nullptr);
  MetricsObserver metrics;
  server::ApiContext ctx;
  auto routes = server::BuildRoutes(ctx, &health, &metrics);
  std::set<std::string> registered;
  for (const auto& r : routes.List()) registered.insert(r.method + " " + r.path);

  for (const auto& d : documented) EXPECT_TRUE(registered.count(d)) << "documented, not served: " << d;
  for (const auto& r : registered) EXPECT_TRUE(documented.count(r)) << "served, not documented: " << r;
  EXPECT_GE(registered.size(), 13u);

  // Answers every route can give are documented where they apply: 413 on
  // each POST (code payload_too_large), 401/403 on each route behind the
  // auth policy, and no security requirement on the public ones.
  EXPECT_NE(
      doc["components"]["responses"]["PayloadTooLarge"]["description"].get<std::string>().find(
          "payload_too_large"),
      std::string::npos);
  for (const auto& r : routes.List()) {
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto& op = doc["paths"][r.path][method];
    if (!op.is_object()) continue;  // reported above
    const auto& responses = op["responses"];
    if (r.method == "POST") {
      EXPECT_TRUE(responses.contains("413")) << "POST " << r.path;
    }
    if (r.is_public) {
      EXPECT_EQ(op.value("security", nlohmann::json()), nlohmann::json::array())
          << "public, but the document asks for a token: " << r.method << " " << r.path;
    } else {
      EXPECT_TRUE(responses.contains("401")) << r.method << " " << r.path;
      EXPECT_TRUE(responses.contains("403")) << r.method << " " << r.path;
    }
  }
}

}  // namespace
}  // namespace steward
