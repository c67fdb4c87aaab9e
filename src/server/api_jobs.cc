// /api/v1/jobs: enqueue (one or a batch, idempotent), list, show, retry, cancel.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <span>

#include "core/failure_group.h"
#include "server/api.h"
#include "server/audit.h"
#include "server/api_json.h"
#include "server/group_commit.h"
#include "store/job_run_again.h"

namespace steward::server {

namespace {

constexpr int kDefaultListLimit = 50;
constexpr int kMaxListLimit = 1000;
constexpr int kMaxSearchLimit = 500;  // JobSearchParams::limit
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

// "account_id=42" or "customer.id=7" -> (path, value); the path's segments
// are [A-Za-z0-9_]+ (JobSearchParams), so nothing reaches SQL unchecked.
Result<std::pair<std::string, std::string>> ParsePayloadFilter(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidArgument("payload: expected path=value, e.g. account_id=42");
  }
  std::string path(text.substr(0, eq));
  if (path.starts_with("payload.")) path = path.substr(8);  // "payload.account_id=42"
  bool segment_start = true;
  for (char c : path) {
    bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!(word || (c == '.' && !segment_start))) {
      return InvalidArgument("payload: path \"" + path +
                             "\" must be field names ([A-Za-z0-9_]) joined by dots");
    }
    segment_start = c == '.';
  }
  if (path.empty() || segment_start) return InvalidArgument("payload: empty field name in \"" + path + "\"");
  return std::make_pair(path, std::string(text.substr(eq + 1)));
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
  void List(const httplib::Request& req, httplib::Response& res, const Caller& caller);
  void Show(httplib::Response& res, const RouteArgs& a);
  void Retry(const httplib::Request& req, httplib::Response& res, const RouteArgs& a);
  void Cancel(httplib::Response& res, const RouteArgs& a);

 private:
  // [dashboard] hide_payloads_from_read_only applies to this caller.
  bool HidePayload(const Caller& caller) const {
    return ctx_.dashboard.hide_payloads_from_read_only && caller.role == Role::kReadOnly;
  }
  static void HidePayloadIn(nlohmann::json& job) {
    job.erase("payload");
    job["payload_hidden"] = true;
  }
  // Inserts and writes the response (success or error).
  void Insert(std::vector<NewJob>& jobs, bool batch, httplib::Response& res);
  void WriteJob(httplib::Response& res, int64_t id, const Caller& caller);

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

void JobRoutes::List(const httplib::Request& req, httplib::Response& res, const Caller& caller) {
  JobSearchParams p;
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
    } else if (name == "error") {
      if (!value.empty()) p.error_contains = value;
    } else if (name == "payload") {
      if (value.empty()) continue;
      auto filter = ParsePayloadFilter(value);
      if (!filter.ok()) return WriteError(res, filter.status());
      p.payload_path = filter->first;
      p.payload_value = filter->second;
    } else if (name == "limit") {
      auto l = ParsePositiveInt(value, "limit");
      if (!l.ok()) return WriteError(res, l.status());
      if (*l > kMaxListLimit) {
        return WriteError(res, InvalidArgument("limit: at most " + std::to_string(kMaxListLimit)));
      }
      // The search returns at most 500 per page; the cursor covers the rest.
      p.limit = static_cast<int>(std::min<int64_t>(*l, kMaxSearchLimit));
    } else if (name == "cursor" || name == "before") {
      if (value.empty()) continue;
      auto c = ParsePositiveInt(value, name);
      if (!c.ok()) return WriteError(res, c.status());
      p.before_id = *c;
    } else {
      // Strict: a typo such as ?status=failed must not list every job.
      return WriteError(res, InvalidArgument("unknown query parameter \"" + name +
                                             "\" (queue, state, kind, error, payload, limit, "
                                             "cursor, before)"));
    }
  }
  auto page = ctx_.store->JobSearch(p);
  if (!page.ok()) return WriteError(res, page.status());
  const bool hide = HidePayload(caller);
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < page->jobs.size(); ++i) {
    nlohmann::json j = JobToJson(page->jobs[i], false);
    j["last_error"] = i < page->last_errors.size() && !page->last_errors[i].empty()
                          ? nlohmann::json(page->last_errors[i])
                          : nlohmann::json(nullptr);
    if (hide) HidePayloadIn(j);
    out.push_back(std::move(j));
  }
  // The search may stop early (scan bound) with a cursor: follow it even
  // when the page is short.
  nlohmann::json next = nullptr;
  if (page->next_before_id) next = *page->next_before_id;
  WriteJson(res, 200, {{"jobs", std::move(out)}, {"next_cursor", next}});
}

void JobRoutes::WriteJob(httplib::Response& res, int64_t id, const Caller& caller) {
  auto job = ctx_.store->JobGet(id);
  if (!job.ok()) return WriteError(res, job.status());
  nlohmann::json out = JobToJson(*job, true);
  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& e : job->errors) {
    attempts.push_back(
        {{"attempt", e.attempt},
         {"at", FormatTimestamp(e.at)},
         {"message", e.message},
         {"detail", e.detail},
         {"worker", e.worker.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.worker)},
         {"duration_ms", e.duration ? nlohmann::json(std::chrono::duration<double, std::milli>(
                                                         *e.duration).count())
                                    : nlohmann::json(nullptr)}});
  }
  out["attempts"] = std::move(attempts);
  // A failing job links to its failure group (the Failures page).
  out["failure_group"] = nullptr;
  if ((job->state == JobState::kDiscarded || job->state == JobState::kRetryable) &&
      !job->errors.empty()) {
    const auto& last = *std::max_element(
        job->errors.begin(), job->errors.end(),
        [](const AttemptError& a, const AttemptError& b) { return a.attempt < b.attempt; });
    out["failure_group"] = FailureGroupId(job->kind, NormalizeErrorMessage(last.message));
  }
  out["audit"] = AuditFor(ctx_, "job", std::to_string(id));
  if (HidePayload(caller)) HidePayloadIn(out);
  WriteJson(res, 200, out);
}

void JobRoutes::Show(httplib::Response& res, const RouteArgs& a) {
  auto id = ParsePositiveInt(a.at("id"), "job id");
  if (!id.ok()) return WriteError(res, id.status());
  WriteJob(res, *id, a.caller);
}

void JobRoutes::Retry(const httplib::Request& req, httplib::Response& res, const RouteArgs& a) {
  auto id = ParsePositiveInt(a.at("id"), "job id");
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
  auto was = RunJobAgain(*ctx_.store, *id, ctx_.clock->Now(), force);
  if (!was.ok()) return WriteError(res, was.status());
  RecordAction(ctx_, a.caller, "job.retry", "job", std::to_string(*id),
               "retried job " + std::to_string(*id) + " (was " + std::string(JobStateName(*was)) + ")");
  // The store notifies its JobsAddedListeners, so the worker runs it at once.
  WriteJob(res, *id, a.caller);
}

void JobRoutes::Cancel(httplib::Response& res, const RouteArgs& a) {
  auto id = ParsePositiveInt(a.at("id"), "job id");
  if (!id.ok()) return WriteError(res, id.status());
  auto st = ctx_.store->JobCancel(*id, ctx_.clock->Now());
  if (!st.ok()) return WriteError(res, st.status());
  RecordAction(ctx_, a.caller, "job.cancel", "job", std::to_string(*id),
               *st == JobState::kCancelled
                   ? "cancelled job " + std::to_string(*id)
                   : "asked running job " + std::to_string(*id) + " to stop");
  WriteJob(res, *id, a.caller);
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
             [r](const auto& req, auto& res, const RouteArgs& a) { r->List(req, res, a.caller); });
  routes.Add("GET", "/api/v1/jobs/{id}",
             [r](const auto&, auto& res, const RouteArgs& a) { r->Show(res, a); });
  routes.Add("POST", "/api/v1/jobs/{id}/retry",
             [r](const auto& req, auto& res, const RouteArgs& p) { r->Retry(req, res, p); });
  routes.Add("POST", "/api/v1/jobs/{id}/cancel",
             [r](const auto&, auto& res, const RouteArgs& p) { r->Cancel(res, p); });
}

}  // namespace steward::server
