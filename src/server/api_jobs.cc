// /api/v1/jobs: enqueue (one or a batch, idempotent), list, show, retry, cancel.
#include <charconv>
#include <functional>
#include <span>

#include "server/api.h"
#include "server/api_json.h"
#include "server/group_commit.h"
#include "store/job_run_again.h"

namespace steward::server {

namespace {

constexpr int kDefaultListLimit = 50;
constexpr int kMaxListLimit = 1000;
constexpr size_t kMaxIdempotencyKey = 255;

Result<int64_t> ParsePositiveInt(std::string_view text, std::string_view what) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v <= 0) {
    return InvalidArgument(std::string(what) + " must be a positive integer, got \"" +
                           std::string(text) + "\"");
  }
  return v;
}

// Handlers share the context by value; the Store and cache are shared_ptrs.
class JobRoutes {
 public:
  explicit JobRoutes(ApiContext ctx) : ctx_(std::move(ctx)) {
    if (!ctx_.clock) ctx_.clock = &SystemClock();
    if (!ctx_.idempotency) ctx_.idempotency = std::make_shared<IdempotencyCache>();
    // Every enqueue goes through one committer: concurrent requests share
    // a transaction (see group_commit.h), so throughput is not capped at
    // one commit per request.
    committer_ = std::make_unique<GroupCommitter>(ctx_.store, ctx_.clock);
  }

  void Enqueue(const httplib::Request& req, httplib::Response& res, bool batch);
  void List(const httplib::Request& req, httplib::Response& res);
  void Show(httplib::Response& res, const RouteArgs& p);
  void Retry(const httplib::Request& req, httplib::Response& res, const RouteArgs& p);
  void Cancel(httplib::Response& res, const RouteArgs& p);

 private:
  // Inserts and writes the response (success or error).
  void Insert(std::vector<NewJob>& jobs, bool batch, httplib::Response& res);
  void WriteJob(httplib::Response& res, int64_t id);

  ApiContext ctx_;
  std::unique_ptr<GroupCommitter> committer_;
};

void JobRoutes::Enqueue(const httplib::Request& req, httplib::Response& res, bool batch) {
  Timestamp now = ctx_.clock->Now();
  auto body = ParseJsonBody(req.body);
  if (!body.ok()) return WriteError(res, body.status());
  std::vector<NewJob> jobs;
  if (batch) {
    auto parsed = ParseNewJobBatch(*body, now);
    if (!parsed.ok()) return WriteError(res, parsed.status());
    jobs = std::move(parsed).value();
  } else {
    auto parsed = ParseNewJob(*body, now);
    if (!parsed.ok()) return WriteError(res, parsed.status());
    jobs.push_back(std::move(parsed).value());
  }

  std::string idem = req.get_header_value("Idempotency-Key");
  if (idem.empty()) return Insert(jobs, batch, res);

  if (idem.size() > kMaxIdempotencyKey) {
    return WriteError(res, InvalidArgument("Idempotency-Key: at most 255 characters"));
  }
  for (const auto& j : jobs) {
    if (j.unique_key) {
      // Both would claim the same unique_key slot; refusing is clearer than
      // silently dropping one of them.
      return WriteError(res, InvalidArgument("give unique_key or an Idempotency-Key header, not both"));
    }
  }
  std::string cache_key = (batch ? "batch\x1f" : "one\x1f") + idem;
  uint64_t fingerprint = std::hash<std::string>{}(req.body);
  if (auto hit = ctx_.idempotency->Get(cache_key)) {
    if (hit->fingerprint != fingerprint) {
      return WriteError(res, InvalidArgument("Idempotency-Key \"" + idem +
                                             "\" was already used with a different request body"));
    }
    res.status = hit->status;
    res.set_header("Idempotent-Replayed", "true");
    res.set_content(hit->body, "application/json");
    return;
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].unique_key = batch ? "idem:" + idem + ":" + std::to_string(i) : "idem:" + idem;
  }
  Insert(jobs, batch, res);
  if (res.status >= 200 && res.status < 300) {
    ctx_.idempotency->Put(cache_key, IdempotencyCache::Entry{fingerprint, res.status, res.body});
  }
}

void JobRoutes::Insert(std::vector<NewJob>& jobs, bool batch, httplib::Response& res) {
  // The parsers validated each job (ValidateNewJob), so a group's
  // transaction fails only for store reasons, never for a neighbour's typo.
  std::vector<std::string> queues;
  queues.reserve(jobs.size());
  for (const auto& j : jobs) queues.push_back(j.queue);
  auto inserted = committer_->Submit(std::move(jobs)).get();
  if (!inserted.ok()) return WriteError(res, inserted.status());
  bool any_new = false;
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < inserted->size(); ++i) {
    const auto& r = (*inserted)[i];
    if (!r.duplicate) {
      any_new = true;
      if (ctx_.metrics) ctx_.metrics->CountEnqueued(queues[i]);
    }
    out.push_back({{"id", r.id}, {"duplicate", r.duplicate}});
  }
  // 201 when something was created; 200 when every job already existed.
  int status = any_new ? 201 : 200;
  if (batch) {
    WriteJson(res, status, {{"jobs", std::move(out)}});
  } else {
    WriteJson(res, status, out.at(0));
  }
}

void JobRoutes::List(const httplib::Request& req, httplib::Response& res) {
  JobListParams p;
  p.limit = kDefaultListLimit;
  for (const auto& [name, value] : req.params) {
    if (name == "queue") {
      if (!value.empty()) p.queue = value;
    } else if (name == "kind") {
      if (!value.empty()) p.kind = value;
    } else if (name == "state") {
      if (value.empty()) continue;
      auto st = ParseJobState(value);
      if (!st) {
        return WriteError(res, InvalidArgument(
                                   "state: unknown state \"" + value +
                                   "\" (scheduled, available, running, retryable, completed, "
                                   "discarded, cancelled)"));
      }
      p.state = *st;
    } else if (name == "limit") {
      auto l = ParsePositiveInt(value, "limit");
      if (!l.ok()) return WriteError(res, l.status());
      if (*l > kMaxListLimit) {
        return WriteError(res, InvalidArgument("limit: at most " + std::to_string(kMaxListLimit)));
      }
      p.limit = static_cast<int>(*l);
    } else if (name == "cursor") {
      if (value.empty()) continue;
      auto c = ParsePositiveInt(value, "cursor");
      if (!c.ok()) return WriteError(res, c.status());
      p.before_id = *c;
    } else {
      // Strict: a typo such as ?status=failed must not list every job.
      return WriteError(res, InvalidArgument("unknown query parameter \"" + name +
                                             "\" (queue, state, kind, limit, cursor)"));
    }
  }
  auto jobs = ctx_.store->JobList(p);
  if (!jobs.ok()) return WriteError(res, jobs.status());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& j : *jobs) out.push_back(JobToJson(j, false));
  // A full page may have more behind it; the cursor is the last id seen.
  nlohmann::json next = nullptr;
  if (static_cast<int>(jobs->size()) == p.limit && !jobs->empty()) next = jobs->back().id;
  WriteJson(res, 200, {{"jobs", std::move(out)}, {"next_cursor", next}});
}

void JobRoutes::WriteJob(httplib::Response& res, int64_t id) {
  auto job = ctx_.store->JobGet(id);
  if (!job.ok()) return WriteError(res, job.status());
  WriteJson(res, 200, JobToJson(*job, true));
}

void JobRoutes::Show(httplib::Response& res, const RouteArgs& p) {
  auto id = ParsePositiveInt(p.at("id"), "job id");
  if (!id.ok()) return WriteError(res, id.status());
  WriteJob(res, *id);
}

void JobRoutes::Retry(const httplib::Request& req, httplib::Response& res, const RouteArgs& p) {
  auto id = ParsePositiveInt(p.at("id"), "job id");
  if (!id.ok()) return WriteError(res, id.status());
  bool force = false;
  if (req.has_param("force")) {
    const std::string v = req.get_param_value("force");
    if (v != "true" && v != "false") {
      return WriteError(res, InvalidArgument("force must be true or false, got '" + v + "'"));
    }
    force = v == "true";
  }
  // One rule for every door (CLI, API, Client): store/job_run_again.h.
  if (auto was = RunJobAgain(*ctx_.store, *id, ctx_.clock->Now(), force); !was.ok()) {
    return WriteError(res, was.status());
  }
  // The store notifies its JobsAddedListeners, so the worker runs it at once.
  WriteJob(res, *id);
}

void JobRoutes::Cancel(httplib::Response& res, const RouteArgs& p) {
  auto id = ParsePositiveInt(p.at("id"), "job id");
  if (!id.ok()) return WriteError(res, id.status());
  auto st = ctx_.store->JobCancel(*id, ctx_.clock->Now());
  if (!st.ok()) return WriteError(res, st.status());
  WriteJob(res, *id);
}

}  // namespace

void RegisterJobRoutes(RouteTable& routes, ApiContext ctx) {
  auto r = std::make_shared<JobRoutes>(std::move(ctx));
  routes.Add("POST", "/api/v1/jobs", [r](const auto& req, auto& res, const RouteArgs&) {
    r->Enqueue(req, res, false);
  });
  routes.Add("POST", "/api/v1/jobs/batch", [r](const auto& req, auto& res, const RouteArgs&) {
    r->Enqueue(req, res, true);
  });
  routes.Add("GET", "/api/v1/jobs",
             [r](const auto& req, auto& res, const RouteArgs&) { r->List(req, res); });
  routes.Add("GET", "/api/v1/jobs/{id}",
             [r](const auto&, auto& res, const RouteArgs& p) { r->Show(res, p); });
  routes.Add("POST", "/api/v1/jobs/{id}/retry",
             [r](const auto& req, auto& res, const RouteArgs& p) { r->Retry(req, res, p); });
  routes.Add("POST", "/api/v1/jobs/{id}/cancel",
             [r](const auto&, auto& res, const RouteArgs& p) { r->Cancel(res, p); });
}

}  // namespace steward::server
