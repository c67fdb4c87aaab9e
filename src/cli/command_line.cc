#include "cli/command_line.h"

#include <charconv>
#include <string_view>

#include "cli/config_keys.h"

namespace steward::cli {

namespace {

// Does `name` (e.g. "--db") take a value, looking in `app` and its parents
// (options of the parents are accepted after a subcommand: fallthrough)?
bool TakesValue(const CLI::App* app, const std::string& name) {
  for (; app != nullptr; app = app->get_parent()) {
    if (const CLI::Option* opt = app->get_option_no_throw(name)) {
      return opt->get_expected_min() > 0;  // flags expect no value
    }
  }
  return false;
}

}  // namespace

Status CheckSubcommands(const CLI::App& app, const std::vector<std::string>& args) {
  const CLI::App* current = &app;
  std::string path;  // the subcommands chosen so far, e.g. "jobs "
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-') {
      // Unknown options are CLI11's to report; a known one may eat the next word.
      if (arg.find('=') == std::string::npos && TakesValue(current, arg)) ++i;
      continue;
    }
    auto subs = current->get_subcommands(
        [](const CLI::App* sub) { return !sub->get_name().empty(); });  // not option groups
    if (subs.empty()) break;  // positional arguments of a leaf command
    const CLI::App* match = nullptr;
    std::vector<std::string_view> names;
    for (const CLI::App* sub : subs) {
      names.push_back(sub->get_name());
      if (sub->check_name(arg)) match = sub;
    }
    if (match == nullptr) {
      std::string list;
      for (std::string_view n : names) list += (list.empty() ? "" : ", ") + std::string(n);
      const std::string nearest = NearestKey(arg, names);
      const std::string where =
          path.empty() ? "commands" : "commands of " + path.substr(0, path.size() - 1);
      return InvalidArgument("unknown command \"" + path + arg + "\"" +
                             (nearest.empty() ? "" : "; did you mean " + nearest + "?") + " (" +
                             where + ": " + list + ")");
    }
    current = match;
    path += arg + " ";
  }
  return Status::Ok();
}

Result<int64_t> ParseJobId(const std::string& text) {
  int64_t id = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, id);
  if (ec == std::errc::result_out_of_range && !text.empty() && text[0] != '-') {
    return InvalidArgument("job id must be at most 9223372036854775807, got '" + text + "'");
  }
  if (text.empty() || ec != std::errc() || ptr != end || id < 1) {
    return InvalidArgument("job id must be a positive integer, got '" + text + "'");
  }
  return id;
}

}  // namespace steward::cli
