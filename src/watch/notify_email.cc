// E-mail over SMTP with libcurl: smtp:// upgrades with STARTTLS when the
// server offers it (CURLUSESSL_TRY), smtps:// is TLS from the start. One
// plain-text message per notification to every configured recipient.
// SMTP 5xx replies and a refused login are permanent; the rest retry.
#include <curl/curl.h>

#include <cstring>

#include "watch/notify.h"

namespace steward::notify {

namespace {

struct Upload {
  std::string_view data;
  size_t pos = 0;
};

size_t ReadUpload(char* buf, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  size_t len = std::min(size * n, u->data.size() - u->pos);
  std::memcpy(buf, u->data.data() + u->pos, len);
  u->pos += len;
  return len;
}

// Header values must not carry CR/LF (header injection through an error
// message in the subject).
std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

std::string RfcDate(Timestamp t) {
  std::time_t secs = ToMicros(t) / 1'000'000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

class EmailSender final : public Sender {
 public:
  explicit EmailSender(EmailConfig c) : c_(std::move(c)) {}
  std::string channel() const override { return "email"; }
  std::string describe() const override { return SafeTarget(c_.url); }

  DeliveryResult Deliver(const Notification& n) override {
    DeliveryResult d;
    const std::string message = Message(n);
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
      d.message = "curl_easy_init failed";
      return d;
    }
    curl_slist* rcpt = nullptr;
    for (const auto& to : c_.to) rcpt = curl_slist_append(rcpt, ("<" + to + ">").c_str());
    Upload up{message, 0};
    const std::string from = "<" + c_.from + ">";
    curl_easy_setopt(curl, CURLOPT_URL, c_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
    if (!c_.username.empty()) curl_easy_setopt(curl, CURLOPT_USERNAME, c_.username.c_str());
    if (!c_.password.empty()) curl_easy_setopt(curl, CURLOPT_PASSWORD, c_.password.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadUpload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &up);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(c_.timeout.count() / 1000));
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    AbortWhenSet(curl, aborting());
    CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK) {
      d.ok = true;
      d.message = describe() + ": sent to " + std::to_string(c_.to.size()) + " recipient(s)";
      return d;
    }
    d.message = describe() + ": " + CurlErrorText(rc, errbuf, c_.url) +
                (code ? " (SMTP " + std::to_string(code) + ")" : "");
    d.permanent_error = rc == CURLE_LOGIN_DENIED || rc == CURLE_URL_MALFORMAT ||
                        rc == CURLE_UNSUPPORTED_PROTOCOL || (code >= 500 && code < 600);
    return d;
  }

 private:
  std::string Message(const Notification& n) const {
    const Timestamp now = SystemClock().Now();
    std::string to;
    for (const auto& t : c_.to) to += (to.empty() ? "" : ", ") + t;
    std::string body = Headline(n) + "\r\n\r\n";
    if (n.resolved()) {
      // The detail of a resolve says what is true now, not an error.
      body += "Resolved: " + ResolvedNow(n) + "\r\n";
      if (!n.summary.empty()) body += "Was: " + n.summary + "\r\n";
    } else if (!n.summary.empty()) {
      body += n.summary + "\r\n";
    }
    // Near the top: on a phone the link is what the reader wants first.
    const DashboardLinkSet links = DashboardLinks(n, c_.dashboard_url);
    if (!links.page.empty()) {
      body += "\r\nOpen in dashboard: " + links.page + "\r\n";
      if (!links.alert.empty() && links.alert != links.page) {
        body += "Alert (acknowledge, silence): " + links.alert + "\r\n";
      }
      if (!links.job.empty()) body += "Job: " + links.job + "\r\n";
    }
    if (n.event == "digest") {
      body += "\r\n" + Truncate(n.detail, 60000) + "\r\n";  // the digest's plain text
    } else if (!n.detail.empty() && !n.resolved()) {
      body += "\r\nLast error:\r\n" + Truncate(n.detail, 8000) + "\r\n";
    }
    if (n.event != "test" && n.event != "digest") {
      body += "\r\nHow often: " + std::to_string(n.count) + "\r\n" +
              (n.resolved() ? "Firing since: " : "Since: ") + FormatTimestamp(n.first_seen) +
              "\r\nLast seen: " + FormatTimestamp(n.last_seen) + "\r\n";
      if (n.resolved_at) body += "Resolved at: " + FormatTimestamp(*n.resolved_at) + "\r\n";
    }
    body += "\r\nFingerprint: " + n.fingerprint + "\r\n";
    // SMTP dot-stuffing is done by libcurl; bare LF is normalised here.
    std::string normalised;
    for (size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) normalised += '\r';
      normalised += body[i];
    }
    return "Date: " + RfcDate(now) + "\r\nFrom: " + OneLine(c_.from) + "\r\nTo: " + OneLine(to) +
           "\r\nSubject: " + OneLine(Truncate(c_.subject_prefix + " " + Headline(n), 200)) +
           "\r\nMessage-ID: <" + RandomHex32() + "@steward>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
           normalised;
  }

  EmailConfig c_;
};

}  // namespace

std::unique_ptr<Sender> MakeEmailSender(EmailConfig config) {
  return std::make_unique<EmailSender>(std::move(config));
}

}  // namespace steward::notify
