// Conformance: migrations, schema version, ping, capabilities.
#include <thread>
#include <vector>

#include "store/store_fixture.h"

namespace steward::testing {
namespace {

class SchemaTest : public StoreTest {};

TEST_P(SchemaTest, FreshStoreIsAtTheLatestVersion) {
  auto v = store().SchemaVersion();
  ASSERT_OK(v);
  EXPECT_GT(v->second, 0);
  EXPECT_EQ(v->first, v->second);
}

TEST_P(SchemaTest, MigrateTwiceIsIdempotentAndKeepsData) {
  int64_t id = Insert(MakeJob());
  auto before = store().SchemaVersion();
  ASSERT_OK(before);
  ASSERT_OK(store().Migrate());
  ASSERT_OK(store().Migrate());
  auto after = store().SchemaVersion();
  ASSERT_OK(after);
  EXPECT_EQ(*after, *before);
  EXPECT_EQ(Get(id).kind, "test.noop");
}

TEST_P(SchemaTest, UnmigratedDatabaseReportsVersionZero) {
  auto s = OpenStore(FreshDatabaseUrl(GetParam()));
  ASSERT_OK(s);
  auto v = (*s)->SchemaVersion();
  ASSERT_OK(v);
  EXPECT_EQ(v->first, 0);
  EXPECT_GT(v->second, 0);
  ASSERT_OK((*s)->Migrate());
  v = (*s)->SchemaVersion();
  ASSERT_OK(v);
  EXPECT_EQ(v->first, v->second);
}

TEST_P(SchemaTest, ConcurrentMigrationsOfOneDatabaseBothSucceed) {
  const std::string url = FreshDatabaseUrl(GetParam());
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < 3; ++i) {
    auto s = OpenStore(url);
    ASSERT_OK(s);
    stores.push_back(std::move(s).value());
  }
  std::vector<Status> results(stores.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < stores.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = stores[i]->Migrate(); });
  }
  for (auto& t : threads) t.join();
  for (const Status& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
  auto v = stores[0]->SchemaVersion();
  ASSERT_OK(v);
  EXPECT_EQ(v->first, v->second);
}

TEST_P(SchemaTest, PingSucceeds) { EXPECT_OK(store().Ping()); }

TEST_P(SchemaTest, CapabilitiesNameTheBackend) {
  EXPECT_EQ(store().Capabilities().backend, GetParam());
}

STEWARD_INSTANTIATE_STORE_SUITE(SchemaTest);

}  // namespace
}  // namespace steward::testing
