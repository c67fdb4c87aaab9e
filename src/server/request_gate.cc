#include "server/request_gate.h"

#include <netdb.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <vector>

#include "core/log.h"
#include "server/request_framing.h"

namespace steward::server {

using Steady = std::chrono::steady_clock;

struct GatedServer::Conn {
  int fd = -1;
  std::string buf;  // received, not yet consumed by httplib
  size_t off = 0;   // consumed prefix of buf
  bool started = false;         // a byte of the current request arrived
  Steady::time_point deadline;  // whole request (started) or idle (not started)
  Steady::time_point last_byte;
  size_t requests_left = 0;
};

namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;

int MillisUntil(Steady::time_point t) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - Steady::now()).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1 << 30));
}

size_t FindCaseless(std::string_view hay, std::string_view lower_needle) {
  auto it = std::search(hay.begin(), hay.end(), lower_needle.begin(), lower_needle.end(),
                        [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  return it == hay.end() ? std::string_view::npos : static_cast<size_t>(it - hay.begin());
}

// Whether `data` holds enough of a request to hand it to a request thread:
// all headers, and the body too unless it is chunked, awaits 100-continue or
// is larger than `body_limit` (those bodies are read by the thread under the
// request's deadline). Oversized headers are handed over as well, for
// httplib to refuse.
bool RequestReady(std::string_view data, size_t body_limit) {
  const size_t head_end = RequestHeadEnd(data);
  if (head_end == std::string_view::npos) return data.size() >= kMaxHeaderBytes;
  // Badly framed: ready to be refused (Serve answers 400), not waited for.
  if (!NormalizeRequestHead(data.substr(0, head_end)).ok()) return true;
  std::string_view head = data.substr(0, head_end);
  if (FindCaseless(head, "\ntransfer-encoding:") != std::string_view::npos ||
      FindCaseless(head, "\nexpect:") != std::string_view::npos) {
    return true;
  }
  constexpr std::string_view kLength = "\ncontent-length:";
  size_t at = FindCaseless(head, kLength);
  if (at == std::string_view::npos) return true;
  const char* p = head.data() + at + kLength.size();
  while (p < head.data() + head.size() && (*p == ' ' || *p == '\t')) ++p;
  size_t length = 0;
  auto [ptr, ec] = std::from_chars(p, head.data() + head.size(), length);
  if (ec != std::errc() || ptr == p) return true;  // malformed: httplib answers 400
  if (length > body_limit) return true;
  return data.size() >= head_end + length;
}

void AddressOf(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len)) != 0) return;
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv,
                  NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(serv);
  }
}

// httplib's view of a connection on a request thread: the bytes the gate
// buffered first, then the socket, every read bounded by the request's
// deadline as well as by the per-read timeout.
class GateStream final : public httplib::Stream {
 public:
  GateStream(GatedServer::Conn& c, const GateOptions& o) : c_(c), o_(o) {}

  bool is_readable() const override { return Wait(POLLIN) > 0; }
  bool is_writable() const override {
    pollfd p{c_.fd, POLLOUT, 0};
    return poll(&p, 1, static_cast<int>(o_.write_timeout.count())) > 0 && !(p.revents & POLLERR);
  }
  ssize_t read(char* ptr, size_t size) override {
    if (c_.off < c_.buf.size()) {
      size_t n = std::min(size, c_.buf.size() - c_.off);
      std::memcpy(ptr, c_.buf.data() + c_.off, n);
      c_.off += n;
      return static_cast<ssize_t>(n);
    }
    if (Wait(POLLIN) <= 0) return -1;
    // Read ahead into the buffer: httplib reads headers a byte at a time.
    c_.buf.clear();
    c_.off = 0;
    char chunk[16 * 1024];
    ssize_t n;
    do {
      n = recv(c_.fd, chunk, sizeof chunk, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return n;
    c_.buf.assign(chunk, static_cast<size_t>(n));
    return read(ptr, size);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = send(c_.fd, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    AddressOf(c_.fd, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    AddressOf(c_.fd, false, ip, port);
  }
  socket_t socket() const override { return c_.fd; }

 private:
  // poll() for `events`, bounded by the read timeout and the request deadline.
  int Wait(short events) const {
    auto limit = std::min(c_.deadline, Steady::now() + o_.read_timeout);
    pollfd p{c_.fd, events, 0};
    int r;
    do {
      r = poll(&p, 1, MillisUntil(limit));
    } while (r < 0 && errno == EINTR);
    return r;
  }

  GatedServer::Conn& c_;
  const GateOptions& o_;
};

}  // namespace

GatedServer::GatedServer(GateOptions options) : options_(options) {
  new_task_queue = [this] {
    pool_ = new httplib::ThreadPool(std::max<size_t>(1, options_.threads));
    return pool_;
  };
}

GatedServer::~GatedServer() {
  StopGate();
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

Status GatedServer::StartGate() {
  // httplib listens with a backlog of 5: a burst of connections (many
  // clients at once, slow ones among them) would have its handshakes
  // dropped and retried by the kernel seconds later. A second listen()
  // on the bound socket raises it (Linux).
  if (svr_sock_ != INVALID_SOCKET) {
    ::listen(svr_sock_, static_cast<int>(std::clamp<size_t>(options_.max_connections, 128, 4096)));
  }
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    return Internal(std::string("http gate: ") + std::strerror(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    return Internal(std::string("http gate: ") + std::strerror(errno));
  }
  gate_thread_ = std::thread([this] { GateLoop(); });
  return Status::Ok();
}

void GatedServer::StopGate() {
  if (stopping_.exchange(true)) return;
  if (gate_thread_.joinable()) {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    gate_thread_.join();
  }
  std::deque<std::unique_ptr<Conn>> incoming;
  {
    std::lock_guard lock(mu_);
    incoming.swap(incoming_);
    waiting_count_ = 0;
  }
  for (auto& c : incoming) CloseConn(std::move(c));
  for (auto& [fd, c] : waiting_) CloseConn(std::move(c));
  waiting_.clear();
}

GateStats GatedServer::stats() const {
  std::lock_guard lock(mu_);
  return GateStats{waiting_count_, timed_out_.load(), refused_.load()};
}

bool GatedServer::process_and_close_socket(socket_t sock) {
  auto c = std::make_unique<Conn>();
  c->fd = sock;
  c->deadline = Steady::now() + options_.idle_timeout;
  c->requests_left = std::max<size_t>(1, options_.keep_alive_max_count);
  Admit(std::move(c));
  return true;
}

void GatedServer::Admit(std::unique_ptr<Conn> c) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_.load() && static_cast<size_t>(waiting_count_) < options_.max_connections) {
      ++waiting_count_;
      incoming_.push_back(std::move(c));
    }
  }
  if (c) {  // not admitted
    if (!stopping_.load()) ++refused_;
    CloseConn(std::move(c));
    return;
  }
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void GatedServer::CloseConn(std::unique_ptr<Conn> c, std::string_view farewell) {
  if (!farewell.empty()) {
    [[maybe_unused]] auto n =
        send(c->fd, farewell.data(), farewell.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    // Closing with unread bytes queued makes the kernel send a reset, which
    // can destroy the answer before the client reads it: read what is queued
    // (bounded, so a client that keeps sending cannot hold this thread).
    char sink[4096];
    for (int i = 0; i < 16 && recv(c->fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
    }
  }
  shutdown(c->fd, SHUT_RDWR);
  close(c->fd);
}

void GatedServer::Serve(std::unique_ptr<Conn> c) {
  for (;;) {
    GateStream strm(*c, options_);
    // The gate buffered the whole head (RequestReady): check its framing
    // and hand httplib the normalized form.
    if (size_t end = RequestHeadEnd(c->buf); end != std::string::npos) {
      auto head = NormalizeRequestHead(std::string_view(c->buf).substr(0, end));
      if (!head.ok()) {
        return CloseConn(std::move(c), ClosingErrorResponse(400, "Bad Request", "invalid_argument",
                                                            head.status().message()));
      }
      c->buf.replace(0, end, *head);
    }
    bool close_connection = c->requests_left <= 1 || stopping_.load();
    bool connection_closed = false;
    bool ok = process_request(strm, close_connection, connection_closed, nullptr);
    if (!ok || connection_closed || close_connection) return CloseConn(std::move(c));
    --c->requests_left;
    c->buf.erase(0, c->off);
    c->off = 0;
    auto now = Steady::now();
    c->started = !c->buf.empty();
    c->last_byte = now;
    c->deadline = now + (c->started ? options_.request_timeout : options_.idle_timeout);
    // A pipelined request already in full: serve it on this thread.
    if (!c->started || !RequestReady(c->buf, options_.gate_body_limit)) break;
  }
  Admit(std::move(c));
}

void GatedServer::GateLoop() {
  std::vector<epoll_event> events(64);
  std::vector<int> ready;
  while (!stopping_.load()) {
    auto next = Steady::now() + std::chrono::milliseconds(250);
    for (auto& [fd, c] : waiting_) {
      next = std::min(next, c->deadline);
      if (c->started) next = std::min(next, c->last_byte + options_.read_timeout);
    }
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                       MillisUntil(next));
    if (n < 0 && errno != EINTR) {
      log::Error("http gate: epoll_wait failed", {{"error", std::strerror(errno)}});
      return;
    }
    ready.clear();
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<size_t>(i)].data.fd;
      if (fd == wake_fd_) {
        uint64_t v;
        [[maybe_unused]] auto r = ::read(wake_fd_, &v, sizeof v);
        std::deque<std::unique_ptr<Conn>> incoming;
        {
          std::lock_guard lock(mu_);
          incoming.swap(incoming_);
        }
        for (auto& c : incoming) {
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLRDHUP;
          ev.data.fd = c->fd;
          int cfd = c->fd;
          if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, cfd, &ev) != 0) {
            CloseConn(std::move(c));
            std::lock_guard lock(mu_);
            --waiting_count_;
            continue;
          }
          // Bytes that arrived with the previous request count as readable.
          if (c->started) ready.push_back(cfd);
          waiting_.emplace(cfd, std::move(c));
        }
      } else {
        ready.push_back(fd);
      }
    }
    auto now = Steady::now();
    std::vector<int> done;  // handed over or closed
    for (int fd : ready) {
      auto it = waiting_.find(fd);
      if (it == waiting_.end()) continue;
      Conn& c = *it->second;
      bool eof = false;
      char chunk[16 * 1024];
      for (;;) {
        ssize_t r = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (r > 0) {
          c.buf.append(chunk, static_cast<size_t>(r));
          if (!c.started) {
            c.started = true;
            c.deadline = now + options_.request_timeout;
          }
          c.last_byte = now;
          if (c.buf.size() >= kMaxHeaderBytes + options_.gate_body_limit) break;
          continue;
        }
        if (r < 0 && errno == EINTR) continue;
        eof = r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        break;
      }
      bool complete = c.started && RequestReady(c.buf, options_.gate_body_limit);
      if (!complete && !eof) continue;
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
      auto conn = std::move(it->second);
      done.push_back(fd);
      // A half-closed client (EOF after a full request) still gets its answer.
      if (complete && pool_ != nullptr) {
        pool_->enqueue([this, p = conn.release()] { Serve(std::unique_ptr<Conn>(p)); });
      } else {
        CloseConn(std::move(conn));
      }
    }
    for (auto& [fd, c] : waiting_) {
      if (!c) continue;
      bool idle = c->started && now - c->last_byte >= options_.read_timeout;
      if (now < c->deadline && !idle) continue;
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
      const bool started = c->started;
      if (started) {
        ++timed_out_;
        log::Debug("http request deadline missed: connection closed",
                   {{"buffered_bytes", static_cast<int64_t>(c->buf.size())}});
      }
      static const std::string k408 = ClosingErrorResponse(
          408, "Request Timeout", "deadline_exceeded", "request not received in time");
      CloseConn(std::move(c), started ? std::string_view(k408) : std::string_view());
      done.push_back(fd);
    }
    if (!done.empty()) {
      for (int fd : done) waiting_.erase(fd);
      std::lock_guard lock(mu_);
      waiting_count_ -= static_cast<int64_t>(done.size());
    }
  }
}

}  // namespace steward::server
