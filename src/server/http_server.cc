#include "server/http_server.h"

#include <sys/socket.h>

#include <charconv>

#include <httplib.h>

#include "core/log.h"
#include "server/api_schedules.h"
#include "server/request_gate.h"

namespace steward::server {

Result<std::pair<std::string, int>> ParseListenAddress(const std::string& listen) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("listen address \"" + listen + "\": " + std::string(why) +
                           " (expected HOST:PORT, e.g. 127.0.0.1:8080)");
  };
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad("missing host or port");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string_view port_text(listen.data() + colon + 1, listen.size() - colon - 1);
  int port = -1;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 0 ||
      port > 65535) {
    return bad("port must be 0..65535");
  }
  return std::make_pair(host, port);
}

RouteTable BuildRoutes(ApiContext ctx, HealthRegistry* health, MetricsObserver* metrics,
                       const std::vector<std::function<void(RouteTable&)>>& extra) {
  RouteTable routes;
  RegisterProbeRoutes(routes, health, metrics);
  RegisterJobRoutes(routes, ctx);
  RegisterQueueRoutes(routes, ctx);
  RegisterScheduleRoutes(routes, ctx);  // schedules, checks, /ping (api_schedules.cc)
  RegisterSessionRoutes(routes);
  RegisterOverviewRoutes(routes, ctx);
  RegisterFailureRoutes(routes, ctx);
  RegisterAlertRoutes(routes, ctx);
  RegisterNodeRoutes(routes, ctx);
  RegisterUiRoutes(routes);  // the dashboard (api_ui.cc)
  for (const auto& add : extra) add(routes);
  return routes;
}

HttpServer::HttpServer(HttpServerOptions options, RouteTable routes)
    : options_(std::move(options)), routes_(std::move(routes)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  if (server_) return FailedPrecondition("http server already started");
  STEWARD_ASSIGN_OR_RETURN(auto hp, ParseListenAddress(options_.listen));
  auto& [host, port] = hp;
  if (options_.tokens) {
    auto auth = std::make_shared<const Authenticator>(*options_.tokens, IsLoopbackHost(host),
                                                      options_.sessions);
    if (!auth->has_tokens() && !IsLoopbackHost(host)) {
      log::Warn(
          "no API token configured on a non-loopback listener: every API route is refused "
          "(403) until one is; probes and check pings stay open",
          {{"listen", options_.listen}});
    }
    routes_.SetAuthenticator(std::move(auth));
  }

  GateOptions go;
  go.threads = static_cast<size_t>(std::max(1, options_.threads));
  go.request_timeout = options_.request_timeout;
  go.read_timeout = options_.read_timeout;
  go.write_timeout = options_.write_timeout;
  go.idle_timeout = options_.keep_alive_timeout;
  go.keep_alive_max_count = options_.keep_alive_max_count;
  go.max_connections = options_.max_connections;
  auto srv = std::make_unique<GatedServer>(go);
  // httplib also applies these to each accepted socket (SO_RCVTIMEO,
  // SO_SNDTIMEO): a blocking send to a client that stopped reading ends.
  srv->set_read_timeout(options_.read_timeout);
  srv->set_write_timeout(options_.write_timeout);
  // Small JSON responses: without TCP_NODELAY, Nagle plus delayed ACKs add
  // ~40 ms per keep-alive request.
  srv->set_tcp_nodelay(true);
  srv->set_payload_max_length(options_.max_payload);
  // httplib's default also sets SO_REUSEPORT, which lets a second process
  // bind the same port and silently share its traffic. Keep SO_REUSEADDR
  // only (fast restarts), so a busy port is an error.
  srv->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
  });

  // One catch-all per method: RouteTable does the matching, so 404/405 are
  // JSON and the table stays the single list of routes.
  auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
    routes_.Dispatch(req, res);
  };
  srv->Get(".*", dispatch);
  srv->Post(".*", dispatch);
  srv->Put(".*", dispatch);
  srv->Patch(".*", dispatch);
  srv->Delete(".*", dispatch);
  srv->Options(".*", dispatch);

  // Errors raised by httplib itself (413 payload too large, 400 bad request
  // line) have no body yet: give them the same JSON shape as ours.
  srv->set_error_handler(httplib::Server::HandlerWithResponse(
      [max = options_.max_payload](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 413) {
      // Its own code: the request may be well formed, only too large.
      WriteError(res, 413, std::string_view("payload_too_large"),
                 "request body larger than " + std::to_string(max) + " bytes");
    } else if (res.status == 404) {
      WriteError(res, 404, StatusCode::kNotFound, "no route for " + req.method + " " + req.path);
    } else {
      WriteError(res, res.status, res.status >= 500 ? StatusCode::kInternal : StatusCode::kInvalidArgument,
                 "request rejected with HTTP " + std::to_string(res.status));
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  srv->set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                                std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log::Error("http handler threw", {{"path", req.path}, {"error", what}});
    WriteError(res, 500, StatusCode::kInternal, "internal error");
  });
  srv->set_logger([](const httplib::Request& req, const httplib::Response& res) {
    if (log::Enabled(log::Level::kDebug)) {
      log::Debug("http request", {{"method", req.method}, {"path", req.path}, {"status", res.status}});
    }
  });

  int bound = port;
  if (port == 0) {
    bound = srv->bind_to_any_port(host);
    if (bound < 0) return Unavailable("cannot listen on " + options_.listen);
  } else if (!srv->bind_to_port(host, port)) {
    return Unavailable("cannot listen on " + options_.listen + " (address in use or not local?)");
  }
  port_ = bound;
  address_ = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
             std::to_string(port_);
  STEWARD_RETURN_IF_ERROR(srv->StartGate());
  server_ = std::move(srv);
  thread_ = std::thread([s = server_.get()] { s->listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs; wait for it so
  // an early Stop() cannot leave the thread listening forever.
  for (int i = 0; i < 2000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  log::Info("http listening", {{"address", address_}});
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!server_) return;
  server_->StopGate();
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
  log::Info("http stopped", {{"address", address_}});
}

GateStats HttpServer::gate_stats() const { return server_ ? server_->stats() : GateStats{}; }

}  // namespace steward::server
