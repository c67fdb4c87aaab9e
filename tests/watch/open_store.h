// A migrated SQLite store in a test's temporary directory (the watch tests
// run against a real store). Throws on failure (GoogleTest reports it).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "store/store.h"
#include "support/temp_dir.h"

namespace steward::testing {

inline std::shared_ptr<Store> OpenSqliteStore(const TempDir& dir, const std::string& file) {
  auto s = OpenStore("sqlite://" + dir.File(file));
  if (!s.ok()) throw std::runtime_error(s.status().ToString());
  if (Status st = (*s)->Migrate(); !st.ok()) throw std::runtime_error(st.ToString());
  return std::shared_ptr<Store>(std::move(s).value());
}

}  // namespace steward::testing
