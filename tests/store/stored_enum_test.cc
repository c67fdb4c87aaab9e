// A stored enum this binary cannot read (hand-edited SQL, a newer binary) is
// an error that names the row, the column and the value, on every backend;
// never a silent default that would run a schedule by a rule nobody chose.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "store/backends.h"
#include "store/store_fixture.h"
#include "support/pg_admin.h"

namespace steward::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Runs one statement behind the store's back, as an operator's psql or
// sqlite3 would.
void RawExec(const std::string& backend, const std::string& url, const std::string& sql) {
  if (backend == "postgres") {
    PgAdmin admin(url);
    admin.Query("SET search_path TO steward; " + sql);
    return;
  }
  const std::string path = url.substr(std::string("sqlite://").size());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << sql << ": " << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

class StoredEnumTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = FreshDatabaseUrl(GetParam());
    auto s = OpenStore(url_);
    ASSERT_OK(s);
    store_ = std::move(s).value();
    ASSERT_OK(store_->Migrate());
    ScheduleSpec spec;
    spec.name = "nightly";
    spec.cron = "0 3 * * *";
    spec.kind = "report";
    ASSERT_OK(store_->ScheduleUpsert(spec, T0()));
    if (GetParam() == "postgres") {
      // PostgreSQL's CHECK constraints refuse such values; a newer schema
      // may not have them, so drop them here.
      RawExec(GetParam(), url_,
              "ALTER TABLE schedules DROP CONSTRAINT schedules_catch_up_check; "
              "ALTER TABLE checks DROP CONSTRAINT checks_state_check");
    }
  }

  std::string url_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoredEnumTest, UnknownScheduleEnumIsAnErrorNamingTheRow) {
  RawExec(GetParam(), url_, "UPDATE schedules SET catch_up = 'sometimes' WHERE name = 'nightly'");
  auto got = store_->ScheduleGet("nightly");
  EXPECT_THAT(got, StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(got.status().message(), AllOf(HasSubstr("schedule \"nightly\""),
                                            HasSubstr("catch_up"), HasSubstr("\"sometimes\"")));
  // Every read of the row says so, the list included.
  EXPECT_THAT(store_->ScheduleList(), StatusIs(StatusCode::kDataLoss));
}

TEST_P(StoredEnumTest, UnknownCheckStateIsAnErrorNamingTheRow) {
  // The schedule's own check has the same name.
  RawExec(GetParam(), url_, "UPDATE checks SET state = 'sideways' WHERE name = 'nightly'");
  auto got = store_->CheckGet("nightly");
  EXPECT_THAT(got, StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(got.status().message(), AllOf(HasSubstr("check \"nightly\""),
                                            HasSubstr("column state"), HasSubstr("\"sideways\"")));
  RawExec(GetParam(), url_, "UPDATE checks SET state = 'new' WHERE name = 'nightly'");
  EXPECT_OK(store_->CheckGet("nightly"));  // readable again once repaired
}

STEWARD_INSTANTIATE_STORE_SUITE(StoredEnumTest);

}  // namespace
}  // namespace steward::testing
