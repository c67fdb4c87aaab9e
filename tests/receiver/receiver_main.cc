// steward-test-receiver: a real HTTP server for tests of everything Steward
// sends over HTTP (the http job kind, Slack/Sentry/webhook notifications).
// It records every request and answers with scripted responses, so a test can
// observe exactly what went over the wire and simulate outages.
//
//   steward-test-receiver [--host 127.0.0.1] [--port 0] [--port-file PATH]
//
// Binds (port 0: an ephemeral port), then prints the port and a newline on
// stdout (and writes it to --port-file atomically, if given).
//
// Any request outside /_control/ (any method, any path) is recorded and
// answered 200 "ok" unless a behaviour rule or down mode says otherwise.
// Control endpoints (never recorded):
//   GET  /_control/health               200 "ok"
//   GET  /_control/requests[?path=P][&path_prefix=P]
//        JSON array, oldest first, of {seq, method, path, query, target,
//        headers: [[name, value], ...], body (UTF-8, invalid bytes replaced),
//        body_base64 (exact bytes), received_at_us (Unix microseconds)}.
//        Gzip/deflate/brotli request bodies arrive decoded (cpp-httplib).
//   POST /_control/reset                forget requests and rules, leave down mode
//   POST /_control/behaviour            add a rule (replaces one with the same prefix):
//        {"path_prefix": "/", "status": 500, "times": 3, "retry_after": "2",
//         "delay_ms": 0, "body": "...", "content_type": "text/plain",
//         "headers": {"X-A": "b"}}
//        The next `times` requests whose path starts with path_prefix get this
//        response (times -1: until reset or replaced; 0: remove the rule).
//        The longest matching prefix wins. delay_ms delays the response.
//   POST /_control/down                 {"down": true}: 503 "down" for every
//                                       request (still recorded) until false
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

struct Rule {
  std::string path_prefix = "/";
  int status = 500;
  int remaining = 1;  // -1: unlimited
  std::optional<std::string> retry_after;
  int delay_ms = 0;
  std::string body;
  std::string content_type = "text/plain";
  std::map<std::string, std::string> headers;
};

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

class State {
 public:
  void Record(const httplib::Request& req) {
    json headers = json::array();
    for (const auto& [name, value] : req.headers) headers.push_back({name, value});
    size_t q = req.target.find('?');
    std::lock_guard lock(mu_);
    requests_.push_back({
        {"seq", ++seq_},
        {"method", req.method},
        {"path", req.path},
        {"query", q == std::string::npos ? "" : req.target.substr(q + 1)},
        {"target", req.target},
        {"headers", std::move(headers)},
        {"body", req.body},
        {"body_base64", Base64(req.body)},
        {"received_at_us", std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count()},
    });
  }

  // Requests (as a JSON array text) matching the filters.
  std::string Requests(const std::string& path, const std::string& prefix) {
    json out = json::array();
    std::lock_guard lock(mu_);
    for (const json& r : requests_) {
      const std::string& p = r["path"].get_ref<const std::string&>();
      if (!path.empty() && p != path) continue;
      if (!prefix.empty() && p.rfind(prefix, 0) != 0) continue;
      out.push_back(r);
    }
    // Bodies may be binary; body_base64 carries the exact bytes.
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  void Reset() {
    std::lock_guard lock(mu_);
    requests_.clear();
    rules_.clear();
    down_ = false;
  }

  void SetRule(Rule rule) {
    std::lock_guard lock(mu_);
    std::erase_if(rules_, [&](const Rule& r) { return r.path_prefix == rule.path_prefix; });
    if (rule.remaining != 0) rules_.push_back(std::move(rule));
  }

  void SetDown(bool down) {
    std::lock_guard lock(mu_);
    down_ = down;
  }

  // The scripted response for `path`, consuming one use of its rule.
  std::optional<Rule> Take(const std::string& path) {
    std::lock_guard lock(mu_);
    if (down_) {
      Rule r;
      r.status = 503;
      r.body = "down";
      return r;
    }
    Rule* best = nullptr;
    for (Rule& r : rules_) {
      if (path.rfind(r.path_prefix, 0) == 0 &&
          (best == nullptr || r.path_prefix.size() > best->path_prefix.size())) {
        best = &r;
      }
    }
    if (best == nullptr) return std::nullopt;
    Rule taken = *best;
    if (best->remaining > 0 && --best->remaining == 0) {
      std::erase_if(rules_, [&](const Rule& r) { return r.remaining == 0; });
    }
    return taken;
  }

 private:
  std::mutex mu_;
  json requests_ = json::array();
  int64_t seq_ = 0;
  std::vector<Rule> rules_;
  bool down_ = false;
};

void BadRequest(httplib::Response& res, const std::string& why) {
  res.status = 400;
  res.set_content(why, "text/plain");
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string port_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--host") {
      host = argv[i + 1];
    } else if (flag == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (flag == "--port-file") {
      port_file = argv[i + 1];
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  // A client that hangs up mid-response must not kill the receiver.
  ::signal(SIGPIPE, SIG_IGN);

  State state;
  httplib::Server server;
  // Slow-response tests park handler threads; keep room for other requests.
  server.new_task_queue = [] { return new httplib::ThreadPool(32); };

  server.Get("/_control/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  server.Get("/_control/requests", [&](const httplib::Request& req, httplib::Response& res) {
    res.set_content(state.Requests(req.get_param_value("path"), req.get_param_value("path_prefix")),
                    "application/json");
  });
  server.Post("/_control/reset", [&](const httplib::Request&, httplib::Response& res) {
    state.Reset();
    res.set_content("ok", "text/plain");
  });
  server.Post("/_control/down", [&](const httplib::Request& req, httplib::Response& res) {
    json j = json::parse(req.body, nullptr, false);
    if (!j.is_object() || !j.contains("down") || !j["down"].is_boolean()) {
      return BadRequest(res, "want {\"down\": bool}");
    }
    state.SetDown(j["down"].get<bool>());
    res.set_content("ok", "text/plain");
  });
  server.Post("/_control/behaviour", [&](const httplib::Request& req, httplib::Response& res) {
    json j = json::parse(req.body, nullptr, false);
    if (!j.is_object()) return BadRequest(res, "want a JSON object");
    Rule rule;
    try {
      rule.path_prefix = j.value("path_prefix", std::string("/"));
      rule.status = j.value("status", 500);
      rule.remaining = j.value("times", 1);
      if (j.contains("retry_after") && !j["retry_after"].is_null()) {
        const json& ra = j["retry_after"];
        rule.retry_after = ra.is_string() ? ra.get<std::string>() : ra.dump();
      }
      rule.delay_ms = j.value("delay_ms", 0);
      rule.body = j.value("body", std::string());
      rule.content_type = j.value("content_type", std::string("text/plain"));
      rule.headers = j.value("headers", std::map<std::string, std::string>());
    } catch (const json::exception& e) {
      return BadRequest(res, e.what());
    }
    if (rule.status < 100 || rule.status > 599) return BadRequest(res, "status out of range");
    state.SetRule(std::move(rule));
    res.set_content("ok", "text/plain");
  });

  auto record_and_answer = [&](const httplib::Request& req, httplib::Response& res) {
    state.Record(req);
    std::optional<Rule> rule = state.Take(req.path);
    if (!rule) {
      res.set_content("ok", "text/plain");
      return;
    }
    // Simulates a slow server; the delay is the behaviour under test.
    if (rule->delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(rule->delay_ms));
    res.status = rule->status;
    if (rule->retry_after) res.set_header("Retry-After", *rule->retry_after);
    for (const auto& [name, value] : rule->headers) res.set_header(name, value);
    res.set_content(rule->body, rule->content_type);
  };
  const std::string any = ".*";
  server.Get(any, record_and_answer);
  server.Post(any, record_and_answer);
  server.Put(any, record_and_answer);
  server.Patch(any, record_and_answer);
  server.Delete(any, record_and_answer);
  server.Options(any, record_and_answer);

  int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    std::fprintf(stderr, "cannot bind %s:%d\n", host.c_str(), port);
    return 1;
  }
  if (!port_file.empty()) {
    std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << bound << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  }
  std::printf("%d\n", bound);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}
