// The backends the conformance suite runs against. Each test gets a fresh,
// migrated, empty store of the backend named by its parameter.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace steward::testing {

// {"sqlite", "postgres"}: every backend, always. A backend that cannot be
// set up fails its tests with a clear message; it is never skipped silently.
std::vector<std::string> AllBackends();

// A fresh, migrated, empty store. Fails the current test (ADD_FAILURE) and
// returns nullptr if the backend cannot be opened.
std::unique_ptr<Store> OpenFreshStore(const std::string& backend);

// The URL of a fresh, empty (unmigrated) database of the backend, for tests
// that open several stores or processes on one database.
std::string FreshDatabaseUrl(const std::string& backend);

}  // namespace steward::testing
