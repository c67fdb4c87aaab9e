#include "builtin/exec_kind.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

extern char** environ;

namespace steward {
namespace {

using std::chrono::steady_clock;

constexpr int kExitTempFail = 75;  // EX_TEMPFAIL from sysexits.h
constexpr int kTickMs = 50;        // how often cancellation is noticed
constexpr auto kKillGrace = std::chrono::seconds(2);
constexpr size_t kMaxTailBytes = 1 << 20;
constexpr size_t kIoChunk = 64 * 1024;
constexpr const char* kJobEnvNames[] = {
    "STEWARD_JOB_ID", "STEWARD_ATTEMPT",         "STEWARD_MAX_ATTEMPTS",
    "STEWARD_KIND",   "STEWARD_IDEMPOTENCY_KEY", "STEWARD_QUEUE",
};

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { Close(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string Errno(int err) { return std::strerror(err); }

// A pipe whose both ends are close-on-exec (so children of concurrent jobs
// never hold our ends and delay EOF) and >= 3 (so dup2 onto 0/1/2 in the
// child cannot clobber another pipe end if the daemon runs without stdio).
Status MakePipe(Fd* read_end, Fd* write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return ResourceExhausted("pipe: " + Errno(errno));
  for (int& fd : p) {
    if (fd < 3) {
      int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
      ::close(fd);
      fd = high;
    }
  }
  *read_end = Fd(p[0]);
  *write_end = Fd(p[1]);
  if (p[0] < 0 || p[1] < 0) return ResourceExhausted("pipe: " + Errno(errno));
  return Status::Ok();
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// PATH lookup happens here, in the parent, because after fork() in a
// threaded process the child may only call async-signal-safe functions, and
// execvp may allocate.
Result<std::string> ResolveCommand(const ExecKindConfig& config) {
  const std::string& name = config.command[0];
  if (name.find('/') != std::string::npos) return name;
  std::string path;
  if (auto it = config.env.find("PATH"); it != config.env.end()) {
    path = it->second;
  } else if (const char* p = std::getenv("PATH")) {
    path = p;
  } else {
    path = "/usr/local/bin:/usr/bin:/bin";
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return NotFound("command not found in PATH: " + name);
}

std::vector<std::string> BuildEnv(const ExecKindConfig& config, const JobContext& ctx) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view name = entry.substr(0, entry.find('='));
    // The daemon's own STEWARD_* settings may hold secrets (database URL,
    // webhook tokens); a job's command has no business seeing them.
    if (name.starts_with("STEWARD_")) continue;
    if (config.env.count(std::string(name)) != 0) continue;
    env.emplace_back(entry);
  }
  env.push_back("STEWARD_JOB_ID=" + std::to_string(ctx.id()));
  env.push_back("STEWARD_ATTEMPT=" + std::to_string(ctx.attempt()));
  env.push_back("STEWARD_MAX_ATTEMPTS=" + std::to_string(ctx.max_attempts()));
  env.push_back("STEWARD_KIND=" + ctx.kind());
  env.push_back("STEWARD_QUEUE=" + ctx.queue());
  env.push_back("STEWARD_IDEMPOTENCY_KEY=" + ctx.idempotency_key());
  for (const auto& [k, v] : config.env) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct Child {
  pid_t pid = -1;
  Fd in, out, err;
};

// What the child reports through the error pipe when it cannot exec.
struct ChildError {
  int stage;  // 1: chdir, 2: execve
  int err;
};

Result<Child> Spawn(const std::string& path, std::vector<std::string> args,
                    std::vector<std::string> env, const std::string& workdir) {
  Fd in_r, in_w, out_r, out_w, err_r, err_w, status_r, status_w;
  STEWARD_RETURN_IF_ERROR(MakePipe(&in_r, &in_w));
  STEWARD_RETURN_IF_ERROR(MakePipe(&out_r, &out_w));
  STEWARD_RETURN_IF_ERROR(MakePipe(&err_r, &err_w));
  STEWARD_RETURN_IF_ERROR(MakePipe(&status_r, &status_w));
  // Everything the child needs is prepared before fork (no allocation after).
  std::vector<char*> argv = CStrings(args);
  std::vector<char*> envp = CStrings(env);
  const char* dir = workdir.empty() ? nullptr : workdir.c_str();
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) return ResourceExhausted("fork: " + Errno(errno));
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    ::setpgid(0, 0);
    // Dies with the daemon, even on kill -9. Note that the signal fires when
    // the forking *thread* exits; the handler keeps that thread blocked
    // until the child is reaped, so this is equivalent here.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the daemon died before prctl
    // Blocked signals and ignored dispositions survive execve; the daemon's
    // choices (e.g. SIGPIPE ignored, SIGTERM blocked for a signal thread)
    // must not leak into the command.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
    ::dup2(in_r.get(), STDIN_FILENO);
    ::dup2(out_w.get(), STDOUT_FILENO);
    ::dup2(err_w.get(), STDERR_FILENO);
    // Descriptors the daemon opened without O_CLOEXEC (sockets, the
    // database) must not leak into the command.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ChildError ce{1, 0};
    if (dir == nullptr || ::chdir(dir) == 0) {
      ::execve(path.c_str(), argv.data(), envp.data());
      ce.stage = 2;
    }
    ce.err = errno;
    [[maybe_unused]] ssize_t n = ::write(status_w.get(), &ce, sizeof ce);
    ::_exit(127);
  }
  // Also set in the parent so the group exists before we might signal it.
  ::setpgid(pid, pid);
  status_w.Close();
  in_r.Close();
  out_w.Close();
  err_w.Close();
  ChildError ce{};
  ssize_t n;
  do {
    n = ::read(status_r.get(), &ce, sizeof ce);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof ce)) {
    int st;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return FailedPrecondition((ce.stage == 1 ? "cannot chdir to " + workdir
                                             : "cannot execute " + path) +
                              ": " + Errno(ce.err));
  }
  return Child{pid, std::move(in_w), std::move(out_r), std::move(err_r)};
}

// Writing to a pipe whose reader exited raises SIGPIPE, which by default
// kills the whole daemon. Blocking it for this thread turns it into EPIPE;
// a SIGPIPE left pending is consumed before unblocking.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~ScopedSigpipeBlock() {
    if (got_epipe_ && !sigismember(&old_, SIGPIPE)) {
      timespec zero{};
      while (sigtimedwait(&pipe_, nullptr, &zero) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  void GotEpipe() { got_epipe_ = true; }

 private:
  sigset_t pipe_, old_;
  bool got_epipe_ = false;
};

// Reads what is available; closes `fd` at EOF or on error.
void ReadSome(Fd& fd, std::string* tail, size_t max) {
  char buf[kIoChunk];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n > 0) {
    builtin_internal::AppendTail(tail, std::string_view(buf, n), max);
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    fd.Close();
  }
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

Outcome RunCommand(const ExecKindConfig& config, JobContext& ctx) {
  Status valid = ValidateExecKindConfig(config);
  if (!valid.ok()) return Outcome::Failure("invalid exec kind config: " + valid.message());
  Result<std::string> path = ResolveCommand(config);
  if (!path.ok()) return Outcome::Failure(path.status().message());

  ScopedSigpipeBlock sigpipe_block;
  Result<Child> spawned = Spawn(*path, config.command, BuildEnv(config, ctx), config.workdir);
  if (!spawned.ok()) return Outcome::Failure(spawned.status().message());
  Child& child = *spawned;
  const pid_t pid = child.pid;
  // Wakes poll() the moment the child exits; without it (old kernels) exit
  // is still noticed within one tick. A raw syscall because glibc 2.36's
  // <sys/pidfd.h> lacks C++ linkage guards.
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  const std::string input = ctx.payload().dump();
  size_t written = 0;
  if (input.empty()) child.in.Close();
  for (Fd* fd : {&child.in, &child.out, &child.err}) {
    if (fd->open()) SetNonBlocking(fd->get());
  }

  std::string out_tail, err_tail;
  const size_t max = config.output_tail_bytes;
  bool cancelling = false, killed = false;
  steady_clock::time_point kill_at;
  while (true) {
    pollfd fds[4];
    int nfds = 0;
    int in_i = -1, out_i = -1, err_i = -1;
    if (child.in.open()) {
      in_i = nfds;
      fds[nfds++] = {child.in.get(), POLLOUT, 0};
    }
    if (child.out.open()) {
      out_i = nfds;
      fds[nfds++] = {child.out.get(), POLLIN, 0};
    }
    if (child.err.open()) {
      err_i = nfds;
      fds[nfds++] = {child.err.get(), POLLIN, 0};
    }
    if (pidfd.open()) fds[nfds++] = {pidfd.get(), POLLIN, 0};
    int ready = ::poll(fds, nfds, kTickMs);
    if (ready > 0) {
      if (in_i >= 0 && fds[in_i].revents != 0) {
        size_t len = std::min(kIoChunk, input.size() - written);
        ssize_t n = ::write(child.in.get(), input.data() + written, len);
        if (n > 0) {
          written += static_cast<size_t>(n);
          if (written == input.size()) child.in.Close();  // EOF for the reader
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
          // EPIPE: the command does not read its input; that is its right.
          if (errno == EPIPE) sigpipe_block.GotEpipe();
          child.in.Close();
        }
      }
      if (out_i >= 0 && fds[out_i].revents != 0) ReadSome(child.out, &out_tail, max);
      if (err_i >= 0 && fds[err_i].revents != 0) ReadSome(child.err, &err_tail, max);
    }
    // WNOWAIT leaves the child a zombie, which keeps its pid, and so its
    // process group id, from being reused until the group is killed below.
    siginfo_t info{};
    if (::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) {
      break;
    }
    if (!cancelling && ctx.cancelled()) {
      cancelling = true;
      ::kill(-pid, SIGTERM);
      kill_at = steady_clock::now() + kKillGrace;
    } else if (cancelling && !killed && steady_clock::now() >= kill_at) {
      killed = true;
      ::kill(-pid, SIGKILL);
    }
  }
  // Whatever the command left running in its group (background children)
  // dies with it.
  ::kill(-pid, SIGKILL);
  // Drain output already written; stragglers just killed may still hold the
  // write ends for a moment, so stop at "nothing more right now".
  for (auto [fd, tail] : {std::pair{&child.out, &out_tail}, std::pair{&child.err, &err_tail}}) {
    while (fd->open()) {
      pollfd p{fd->get(), POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) break;
      ReadSome(*fd, tail, max);
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  std::string detail = "stdout tail:\n" + builtin_internal::ToValidUtf8(out_tail) +
                       "\nstderr tail:\n" + builtin_internal::ToValidUtf8(err_tail);
  if (cancelling) return Outcome::Failure("cancelled/timed out: process group killed", detail);
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (code == 0) return Outcome::Success();
    if (code == kExitTempFail) {
      return Outcome::Retry("exit status 75: retry later", std::nullopt, detail);
    }
    return Outcome::Failure("exit status " + std::to_string(code), detail);
  }
  if (WIFSIGNALED(status)) {
    return Outcome::Failure("killed by signal " + SignalName(WTERMSIG(status)), detail);
  }
  return Outcome::Failure("unexpected wait status " + std::to_string(status), detail);
}

}  // namespace

Status ValidateExecKindConfig(const ExecKindConfig& config) {
  if (config.command.empty() || config.command[0].empty()) {
    return InvalidArgument("command: must name a program");
  }
  for (const std::string& arg : config.command) {
    if (arg.find('\0') != std::string::npos) return InvalidArgument("command: NUL byte in argument");
  }
  for (const auto& [name, value] : config.env) {
    if (name.empty() || name.find_first_of(std::string("=\0", 2)) != std::string::npos) {
      return InvalidArgument("env: invalid variable name \"" + name + "\"");
    }
    for (const char* reserved : kJobEnvNames) {
      if (name == reserved) return InvalidArgument("env: " + name + " is set by Steward per job");
    }
    if (value.find('\0') != std::string::npos) {
      return InvalidArgument("env: NUL byte in value of " + name);
    }
  }
  if (!config.workdir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(config.workdir, ec)) {
      return InvalidArgument("workdir: not a directory: " + config.workdir);
    }
  }
  if (config.output_tail_bytes == 0 || config.output_tail_bytes > kMaxTailBytes) {
    return InvalidArgument("output_tail_bytes: must be 1.." + std::to_string(kMaxTailBytes));
  }
  return Status::Ok();
}

Handler MakeExecHandler(ExecKindConfig config) {
  return [config = std::move(config)](JobContext& ctx) { return RunCommand(config, ctx); };
}

namespace builtin_internal {

void AppendTail(std::string* tail, std::string_view data, size_t max) {
  if (data.size() >= max) {
    tail->assign(data.substr(data.size() - max));
    return;
  }
  tail->append(data);
  if (tail->size() > max) tail->erase(0, tail->size() - max);
}

std::string ToValidUtf8(std::string_view b) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(b.size());
  size_t i = 0;
  // Continuation bytes at the very front belong to a character the tail cut.
  while (i < b.size() && i < 3 && (static_cast<unsigned char>(b[i]) & 0xC0) == 0x80) ++i;
  while (i < b.size()) {
    const auto c = static_cast<unsigned char>(b[i]);
    size_t len;
    uint32_t min;
    if (c < 0x80) {
      // NUL cannot be stored in a PostgreSQL text column.
      if (c == 0) {
        out += kReplacement;
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000;
    } else {
      out += kReplacement;
      ++i;
      continue;
    }
    bool ok = i + len <= b.size();
    uint32_t cp = c & (0x7Fu >> len);
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(b[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (!ok || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(b.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace builtin_internal
}  // namespace steward
