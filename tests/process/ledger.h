// The ledger used by the many-node process tests: jobs of kind "ledger"
// whose exec handler appends "start ID NODE" and "done ID NODE" lines to one
// file (O_APPEND writes of short lines are atomic on Linux), so a test can
// tell how often each job ran, and where.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "store/store.h"
#include "support/subprocess.h"

namespace steward::testing {

struct Ledger {
  std::map<int64_t, int> starts, dones;
  std::map<std::string, int> starts_by_node;
};

inline Ledger ReadLedger(const std::string& path) {
  Ledger l;
  std::istringstream in(ReadFile(path));
  std::string word, node;
  int64_t id = 0;
  while (in >> word >> id >> node) {
    if (word == "start") {
      ++l.starts[id];
      ++l.starts_by_node[node];
    }
    if (word == "done") ++l.dones[id];
  }
  return l;
}

// The exec command of kind "ledger" for a node: start line, `work`, done line.
inline std::string LedgerCommand(const std::string& ledger, const std::string& node,
                                 const std::string& work = "") {
  std::string cmd = "echo start $STEWARD_JOB_ID " + node + " >> " + ledger + "; ";
  if (!work.empty()) cmd += work + "; ";
  return cmd + "echo done $STEWARD_JOB_ID " + node + " >> " + ledger;
}

// Migrates the database at `url` and inserts `n` due "ledger" jobs (in
// batches, before any node starts); their ids go to `ids`.
inline void SeedLedgerJobs(const std::string& url, int n, std::set<int64_t>* ids) {
  auto store = OpenStore(url);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Migrate().ok());
  std::vector<NewJob> batch(1000);
  for (auto& j : batch) j.kind = "ledger";
  for (int i = 0; i < n; i += static_cast<int>(batch.size())) {
    batch.resize(std::min<size_t>(batch.size(), static_cast<size_t>(n - i)));
    auto r = (*store)->JobInsertMany(batch, SystemClock().Now());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const auto& ins : *r) ids->insert(ins.id);
  }
  ASSERT_EQ(static_cast<int>(ids->size()), n);
}

}  // namespace steward::testing
