// PgAdmin: a plain libpq connection for tests that look behind the store's
// back, or write as another application would. A failed connection or
// statement is a test failure (the result is then empty).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <string>
#include <vector>

namespace steward::testing {

class PgAdmin {
 public:
  explicit PgAdmin(const std::string& url);
  ~PgAdmin();
  PgAdmin(const PgAdmin&) = delete;
  PgAdmin& operator=(const PgAdmin&) = delete;

  // Every row of sql's result, each column as text.
  std::vector<std::vector<std::string>> Rows(const std::string& sql);
  // The first column of every row.
  std::vector<std::string> Column(const std::string& sql);
  // The first column of the first row; "" if there is none.
  std::string Query(const std::string& sql);
  // Query() as a number; 0 if there is no row.
  int64_t Int(const std::string& sql);

 private:
  PGconn* conn_;
};

// "db" from postgres://host:port/db?options.
std::string PgDatabaseName(const std::string& url);

}  // namespace steward::testing
