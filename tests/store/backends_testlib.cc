// Implements tests/store/backends.h: fresh databases for each backend.
#include <atomic>
#include <string>

#include <gtest/gtest.h>

#include "store/backends.h"
#include "support/pg_harness.h"
#include "support/temp_dir.h"

namespace steward::testing {

namespace {

// One directory for every SQLite database of this test binary, removed when
// the binary exits; each database gets its own file.
std::string FreshSqlitePath() {
  static TempDir dir;
  static std::atomic<int> counter{0};
  return dir.File("store-" + std::to_string(++counter) + ".db");
}

}  // namespace

std::vector<std::string> AllBackends() {
  return {"sqlite", "postgres"};
}

std::string FreshDatabaseUrl(const std::string& backend) {
  if (backend == "sqlite") return "sqlite://" + FreshSqlitePath();
  if (backend == "postgres") return PostgresFreshDatabaseUrl();
  ADD_FAILURE() << "unknown backend " << backend;
  return "";
}

std::unique_ptr<Store> OpenFreshStore(const std::string& backend) {
  std::string url = FreshDatabaseUrl(backend);
  if (url.empty()) return nullptr;
  auto store = OpenStore(url);
  if (!store.ok()) {
    ADD_FAILURE() << "cannot open " << backend << " store at " << url << ": "
                  << store.status().ToString();
    return nullptr;
  }
  if (Status st = (*store)->Migrate(); !st.ok()) {
    ADD_FAILURE() << "cannot migrate " << backend << " store at " << url << ": " << st.ToString();
    return nullptr;
  }
  return std::move(store).value();
}

}  // namespace steward::testing
