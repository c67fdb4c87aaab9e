// Opening a PostgresStore itself (not through the Store interface), for
// tests of what only PostgreSQL has: its pool, its error mapping.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/postgres/postgres_store.h"

namespace steward::testing {

// Opens without migrating; a failure fails the test and returns nullptr.
inline std::unique_ptr<PostgresStore> OpenPostgres(const std::string& url) {
  auto opts = ParsePostgresUrl(url);
  EXPECT_TRUE(opts.ok()) << opts.status().ToString();
  if (!opts.ok()) return nullptr;
  auto store = PostgresStore::Open(*opts);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  return std::move(store).value();
}

// Opens and migrates; a failure fails the test and returns nullptr.
inline std::unique_ptr<PostgresStore> OpenMigratedPostgres(const std::string& url) {
  auto store = OpenPostgres(url);
  if (!store) return nullptr;
  Status st = store->Migrate();
  EXPECT_TRUE(st.ok()) << st.ToString();
  return st.ok() ? std::move(store) : nullptr;
}

}  // namespace steward::testing
