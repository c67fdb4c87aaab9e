// Migrations embedded into the binary at build time from numbered .sql files
// (src/store/<backend>/migrations/NNNN_name.sql). The version is the number.
#pragma once

#include <string_view>
#include <vector>

namespace steward {

struct EmbeddedMigration {
  int version;
  std::string_view name;
  std::string_view sql;
};

}  // namespace steward
