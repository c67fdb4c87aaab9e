// OpenStore: picks the backend from the URL.
#include <string>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace steward {

namespace {
bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
}  // namespace

Result<std::unique_ptr<Store>> OpenStore(const std::string& url) {
  if (url.empty()) return InvalidArgument("database URL is empty");
  if (StartsWith(url, "postgres://") || StartsWith(url, "postgresql://")) {
    return OpenPostgresStore(url);
  }
  std::string rest = url;
  if (StartsWith(rest, "sqlite://")) {
    rest = rest.substr(9);
  } else if (rest.find("://") != std::string::npos) {
    return InvalidArgument("unsupported database URL scheme in \"" + url +
                           "\" (use sqlite://PATH, a file path, or postgres://...)");
  }
  SqliteOptions options;
  auto q = rest.find('?');
  std::string query;
  if (q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest.empty()) return InvalidArgument("SQLite URL \"" + url + "\" has no file path");
  options.path = rest;
  // Query options: synchronous=normal|full.
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    pos = amp == std::string::npos ? query.size() : amp + 1;
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    std::string key = kv.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : kv.substr(eq + 1);
    if (key == "synchronous" && (value == "normal" || value == "full")) {
      options.synchronous_full = value == "full";
    } else {
      return InvalidArgument("unknown SQLite URL option \"" + kv +
                             "\" (known: synchronous=normal|full)");
    }
  }
  return OpenSqliteStore(options);
}

}  // namespace steward
