// Embedding Steward: a worker and a client in one program, on SQLite.
//
//   ./example_embedded /tmp/example.db
//
// Enqueues a welcome e-mail for later, a flaky job that succeeds on its third
// attempt, and waits until both are done.
#include <chrono>
#include <cstdio>
#include <future>
#include <string>

#include "steward/client.h"
#include "steward/worker.h"

struct Welcome {
  std::string to;
};
void to_json(nlohmann::json& j, const Welcome& w) { j = {{"to", w.to}}; }
void from_json(const nlohmann::json& j, Welcome& w) { j.at("to").get_to(w.to); }

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  std::string db = argc > 1 ? argv[1] : "example.db";

  steward::WorkerOptions options;
  options.queues = {{"default", 4}};
  auto worker = steward::Worker::Open("sqlite://" + db, options);
  if (!worker.ok()) {
    std::fprintf(stderr, "open: %s\n", worker.status().ToString().c_str());
    return 1;
  }
  std::promise<void> welcome_sent, flaky_done;
  steward::Status st = (*worker)->Handle<Welcome>("send_welcome", [&](steward::JobContext& ctx,
                                                                      const Welcome& w) {
    // A real mailer would pass ctx.idempotency_key() so a retry after a
    // crash does not send twice.
    std::printf("sending welcome to %s (key %s)\n", w.to.c_str(), ctx.idempotency_key().c_str());
    welcome_sent.set_value();
    return steward::Outcome::Success();
  });
  if (st.ok()) {
    st = (*worker)->Handle("flaky", [&](steward::JobContext& ctx) {
      if (ctx.attempt() < 3) {
        return steward::Outcome::Retry("not yet (attempt " + std::to_string(ctx.attempt()) + ")",
                                       100ms);
      }
      std::printf("flaky succeeded on attempt %d\n", ctx.attempt());
      flaky_done.set_value();
      return steward::Outcome::Success();
    });
  }
  // Handlers are fixed once the worker starts.
  if (st.ok()) st = (*worker)->Start();
  if (!st.ok()) {
    std::fprintf(stderr, "start: %s\n", st.ToString().c_str());
    return 1;
  }

  steward::Client client((*worker)->store());
  steward::NewJob later;
  later.run_at = steward::SystemClock().Now() + 500ms;  // "send when wait_until has passed"
  if (auto r = client.Enqueue("send_welcome", Welcome{"ada@example.com"}, later); !r.ok()) {
    std::fprintf(stderr, "enqueue: %s\n", r.status().ToString().c_str());
    return 1;
  }
  steward::NewJob flaky;
  flaky.kind = "flaky";
  if (auto r = client.Enqueue(flaky); !r.ok()) return 1;

  bool ok = welcome_sent.get_future().wait_for(30s) == std::future_status::ready &&
            flaky_done.get_future().wait_for(30s) == std::future_status::ready;
  (*worker)->Stop();
  return ok ? 0 : 1;
}
