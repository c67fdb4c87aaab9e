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
}

}  // namespace
}  // namespace steward
