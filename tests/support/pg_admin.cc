#include "support/pg_admin.h"

#include <gtest/gtest.h>

namespace steward::testing {

PgAdmin::PgAdmin(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
  EXPECT_EQ(PQstatus(conn_), CONNECTION_OK) << PQerrorMessage(conn_);
}

PgAdmin::~PgAdmin() { PQfinish(conn_); }

std::vector<std::vector<std::string>> PgAdmin::Rows(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  ExecStatusType st = PQresultStatus(r);
  EXPECT_TRUE(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
      << sql << ": " << PQresultErrorMessage(r);
  std::vector<std::vector<std::string>> out;
  if (st == PGRES_TUPLES_OK) {
    for (int i = 0; i < PQntuples(r); ++i) {
      auto& row = out.emplace_back();
      for (int j = 0; j < PQnfields(r); ++j) row.emplace_back(PQgetvalue(r, i, j));
    }
  }
  PQclear(r);
  return out;
}

std::vector<std::string> PgAdmin::Column(const std::string& sql) {
  std::vector<std::string> out;
  for (auto& row : Rows(sql)) out.push_back(row.empty() ? "" : std::move(row[0]));
  return out;
}

std::string PgAdmin::Query(const std::string& sql) {
  auto column = Column(sql);
  return column.empty() ? "" : column[0];
}

int64_t PgAdmin::Int(const std::string& sql) {
  std::string v = Query(sql);
  return v.empty() ? 0 : std::stoll(v);
}

std::string PgDatabaseName(const std::string& url) {
  auto slash = url.rfind('/');
  auto q = url.find('?', slash);
  return url.substr(slash + 1, q == std::string::npos ? std::string::npos : q - slash - 1);
}

}  // namespace steward::testing
