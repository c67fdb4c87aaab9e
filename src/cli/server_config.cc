#include "cli/server_config.h"

#include <toml++/toml.h>

#include "cli/config_keys.h"
#include "core/duration.h"

namespace steward::cli {

Result<ServerConfig> ParseServerConfig(std::string_view toml_text,
                                       const std::map<std::string, std::string>* env) {
  ServerConfig out;
  toml::table root;
  try {
    // Debian's toml++ is built with exceptions: a parse error throws.
    root = toml::parse(toml_text, std::string_view("steward.toml"));
  } catch (const toml::parse_error& err) {
    return InvalidArgument(std::string("steward.toml: ") + std::string(err.description()));
  }
  if (const toml::node* sn = root.get("server")) {
    const toml::table* s = sn->as_table();
    if (!s) return InvalidArgument("server: expected a table");
    STEWARD_RETURN_IF_ERROR(CheckKeys(*s, "server", {"health_listen", "threads", "tokens"}));
    if (const toml::node* n = s->get("health_listen")) {
      auto v = n->value<std::string>();
      if (!v) return InvalidArgument("server.health_listen: expected a string \"HOST:PORT\"");
      out.health_listen = *v;
    }
    if (const toml::node* n = s->get("threads")) {
      auto v = n->value<int64_t>();
      if (!v || *v < 1 || *v > 1024) return InvalidArgument("server.threads: expected 1..1024");
      out.threads = static_cast<int>(*v);
    }
    if (const toml::node* n = s->get("tokens")) {
      const toml::array* arr = n->as_array();
      if (!arr) return InvalidArgument("server.tokens: expected an array of tables");
      for (size_t i = 0; i < arr->size(); ++i) {
        std::string where = "server.tokens[" + std::to_string(i) + "]";
        const toml::table* t = arr->get(i)->as_table();
        if (!t) return InvalidArgument(where + ": expected { name, role, sha256 }");
        if (t->contains("token") || t->contains("secret")) {
          // Plaintext in a config file ends up in ConfigMaps and git.
          return InvalidArgument(where + ": give sha256 = \"<hex>\" (printf %s TOKEN | sha256sum), "
                                          "not the token itself");
        }
        STEWARD_RETURN_IF_ERROR(CheckKeys(*t, where, {"name", "role", "sha256"}));
        server::ApiToken tok;
        auto name = t->get("name") ? t->get("name")->value<std::string>() : std::nullopt;
        auto role = t->get("role") ? t->get("role")->value<std::string>() : std::nullopt;
        auto hex = t->get("sha256") ? t->get("sha256")->value<std::string>() : std::nullopt;
        if (!name || name->empty()) return InvalidArgument(where + ".name: expected a string");
        if (!role) return InvalidArgument(where + ".role: expected admin or read-only");
        if (!hex) return InvalidArgument(where + ".sha256: expected 64 hex digits");
        auto r = server::ParseRole(*role);
        if (!r.ok()) return InvalidArgument(where + "." + r.status().message());
        auto d = server::ParseDigestHex(*hex);
        if (!d.ok()) return InvalidArgument(where + "." + d.status().message());
        tok.name = *name;
        tok.role = *r;
        tok.sha256 = *d;
        out.tokens.push_back(std::move(tok));
      }
    }
  }
  if (const toml::node* dn = root.get("dashboard")) {
    const toml::table* d = dn->as_table();
    if (!d) return InvalidArgument("dashboard: expected a table");
    STEWARD_RETURN_IF_ERROR(
        CheckKeys(*d, "dashboard", {"url", "session_ttl", "hide_payloads_from_read_only"}));
    if (const toml::node* n = d->get("url")) {
      auto v = n->value<std::string>();
      if (!v || !(v->starts_with("https://") || v->starts_with("http://")) || v->size() < 9) {
        return InvalidArgument("dashboard.url: expected an http:// or https:// URL");
      }
      out.dashboard.url = *v;
      while (out.dashboard.url.ends_with('/')) out.dashboard.url.pop_back();
    }
    if (const toml::node* n = d->get("session_ttl")) {
      auto v = n->value<std::string>();
      if (!v) return InvalidArgument("dashboard.session_ttl: expected a duration string (\"30d\")");
      auto ttl = ParseDuration(*v);
      if (!ttl.ok()) return InvalidArgument("dashboard.session_ttl: " + ttl.status().message());
      if (*ttl < std::chrono::minutes(5) || *ttl > std::chrono::hours(24 * 365)) {
        return InvalidArgument("dashboard.session_ttl: expected 5m..365d");
      }
      out.dashboard.session_ttl = *ttl;
    }
    if (const toml::node* n = d->get("hide_payloads_from_read_only")) {
      auto v = n->value<bool>();
      if (!v) return InvalidArgument("dashboard.hide_payloads_from_read_only: expected true or false");
      out.dashboard.hide_payloads_from_read_only = *v;
    }
  }
  auto env_tokens = server::TokensFromEnvironment(env);
  if (!env_tokens.ok()) return env_tokens.status();
  for (auto& t : *env_tokens) out.tokens.push_back(std::move(t));
  return out;
}

}  // namespace steward::cli
