#include "cli/config_keys.h"

#include <algorithm>
#include <vector>

namespace steward::cli {

namespace {

// Optimal string alignment distance: Levenshtein plus adjacent swaps, so
// "group_wiat" is one edit from "group_wait".
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string NearestKey(std::string_view word, std::span<const std::string_view> candidates) {
  // A third of the word, at least one and at most three edits: "id" does
  // not suggest "at", "comand" suggests "command".
  const size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
  std::string best;
  size_t best_distance = limit + 1;
  for (std::string_view c : candidates) {
    const size_t distance = EditDistance(word, c);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(c);
    }
  }
  return best;
}

Status UnknownKey(std::string_view section, std::string_view key,
                  std::initializer_list<std::string_view> allowed) {
  std::string path =
      section.empty() ? std::string(key) : std::string(section) + "." + std::string(key);
  const std::string nearest = NearestKey(key, {allowed.begin(), allowed.size()});
  if (!nearest.empty())
    return InvalidArgument("unknown key " + path + "; did you mean " + nearest + "?");
  std::string list;
  for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  return InvalidArgument("unknown key " + path + " (expected one of: " + list + ")");
}

Status CheckKeys(const toml::table& table, std::string_view section,
                 std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : table) {
    const std::string_view key = k.str();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return UnknownKey(section, key, allowed);
    }
  }
  return Status::Ok();
}

}  // namespace steward::cli
