#include "steward/cron.h"

#include "core/cron_zone.h"
#include "core/duration.h"

#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cstdint>
#include <limits>
#include <vector>

namespace steward {

namespace {

// The calendar fields. Each is a bit set: bit v set <=> value v matches.
// Day-of-week is stored as 0-6 (7 folded onto 0, Sunday).
struct Fields {
  uint64_t seconds = 0;
  uint64_t minutes = 0;
  uint64_t hours = 0;
  uint64_t dom = 0;     // bits 1..31
  uint64_t months = 0;  // bits 1..12
  uint64_t dow = 0;     // bits 0..6
  bool dom_star = false;
  bool dow_star = false;
  bool never = false;  // no date can ever match ("0 0 30 2 *")
};

}  // namespace

struct CronSchedule::Spec : Fields {
  std::string text;     // normalised expression, see ToString()
  std::string tz_name;  // as given; "UTC" when empty
  CronZone zone;
  std::optional<Micros> every;            // set for `@every`
};

namespace {

using date::local_days;
using date::local_seconds;
using std::chrono::seconds;

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct FieldDef {
  std::string_view name;
  int min;
  int max;
  // Names map to index + name_base (JAN -> 1, SUN -> 0); empty: digits only.
  const std::string_view* names = nullptr;
  int name_count = 0;
  int name_base = 0;
};

constexpr FieldDef kSecond{"second", 0, 59};
constexpr FieldDef kMinute{"minute", 0, 59};
constexpr FieldDef kHour{"hour", 0, 23};
constexpr FieldDef kDayOfMonth{"day-of-month", 1, 31};
constexpr FieldDef kMonth{"month", 1, 12, kMonthNames.data(), 12, 1};
constexpr FieldDef kDayOfWeek{"day-of-week", 0, 7, kDayNames.data(), 7, 0};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::vector<std::string_view> SplitWhitespace(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

Status FieldError(const FieldDef& f, std::string_view text, std::string_view detail) {
  return InvalidArgument(fmt::format("{} field \"{}\": {}", f.name, text, detail));
}

// Quartz syntax is rejected by name rather than as "not a number", so users
// porting from Quartz/Spring see why their expression fails.
std::optional<std::string_view> QuartzToken(std::string_view item) {
  if (item.find('?') != std::string_view::npos) return "?";
  if (item.find('#') != std::string_view::npos) return "#";
  std::string up = Upper(item);
  std::string_view rest = up;
  while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') rest.remove_prefix(1);
  if (rest == "L" || rest == "LW" || up.starts_with("L-")) return "L";
  if (rest == "W") return "W";
  return std::nullopt;
}

// A single value: digits, or a name for month/day-of-week.
Result<int> ParseValue(const FieldDef& f, std::string_view item, std::string_view token) {
  if (IsDigits(token)) {
    // More than 4 digits cannot be in range; checking length first avoids overflow.
    int v = token.size() > 4 ? std::numeric_limits<int>::max() : std::stoi(std::string(token));
    if (v < f.min || v > f.max) {
      return FieldError(f, item, fmt::format("value out of range {}-{}", f.min, f.max));
    }
    return v;
  }
  if (f.names == nullptr) return FieldError(f, item, fmt::format("\"{}\" is not a number", token));
  std::string up = Upper(token);
  for (int i = 0; i < f.name_count; ++i) {
    if (up == f.names[i]) return i + f.name_base;
  }
  return FieldError(f, item,
                    fmt::format("unknown name \"{}\" (expected {}-{} or {}-{})", token, f.names[0],
                                f.names[f.name_count - 1], f.min, f.max));
}

// Parses one field into `bits`.
Status ParseField(const FieldDef& f, std::string_view text, uint64_t* bits) {
  for (std::string_view item : Split(text, ',')) {
    if (item.empty()) return FieldError(f, text, "empty list element");
    if (auto q = QuartzToken(item)) {
      return FieldError(f, item, fmt::format("Quartz extension \"{}\" is not supported", *q));
    }
    std::vector<std::string_view> parts = Split(item, '/');
    if (parts.size() > 2) return FieldError(f, item, "more than one \"/\"");
    std::string_view base = parts[0];
    int step = 1;
    if (parts.size() == 2) {
      std::string_view st = parts[1];
      if (!IsDigits(st)) return FieldError(f, item, fmt::format("step \"{}\" is not a number", st));
      int v = st.size() > 4 ? std::numeric_limits<int>::max() : std::stoi(std::string(st));
      int max_step = f.max;
      if (v < 1 || v > max_step) {
        return FieldError(f, item, fmt::format("step out of range 1-{}", max_step));
      }
      step = v;
    }
    int lo = 0;
    int hi = 0;
    if (base == "*") {
      lo = f.min;
      hi = f.max;
    } else if (base.empty()) {
      return FieldError(f, item, "missing value before \"/\"");
    } else {
      std::vector<std::string_view> range = Split(base, '-');
      if (range.size() > 2 || range[0].empty() || (range.size() == 2 && range[1].empty())) {
        return FieldError(f, item, "malformed range (expected A-B)");
      }
      STEWARD_ASSIGN_OR_RETURN(lo, ParseValue(f, item, range[0]));
      if (range.size() == 2) {
        STEWARD_ASSIGN_OR_RETURN(hi, ParseValue(f, item, range[1]));
        if (lo > hi) return FieldError(f, item, fmt::format("range start {} is after end {}", lo, hi));
      } else {
        // "5/10" means 5-max/10 (Vixie); a bare "5" is just 5.
        hi = parts.size() == 2 ? f.max : lo;
      }
    }
    for (int v = lo; v <= hi; v += step) {
      int bit = (&f == &kDayOfWeek && v == 7) ? 0 : v;
      *bits |= uint64_t{1} << bit;
    }
  }
  return Status::Ok();
}

// `@every` takes the common duration grammar (core/duration.h), at least 1s.
Result<Micros> ParseEvery(std::string_view text) {
  Result<Micros> d = ParseDuration(text);
  if (!d.ok()) return InvalidArgument("@every " + d.status().message());
  if (*d < std::chrono::seconds(1)) {
    return InvalidArgument(fmt::format("@every duration \"{}\": must be at least 1s", text));
  }
  return d;
}

unsigned LastDay(int y, unsigned m) {
  return static_cast<unsigned>(
      (date::year{y} / date::month{m} / date::last).day());
}

// Lowest set bit >= from, or -1.
int NextBit(uint64_t bits, int from) {
  if (from >= 64) return -1;
  uint64_t masked = bits & (~uint64_t{0} << from);
  return masked == 0 ? -1 : std::countr_zero(masked);
}

bool Has(uint64_t bits, unsigned v) { return (bits >> v) & 1; }

bool DayMatches(const Fields& s, int y, unsigned m, unsigned d) {
  bool dom_hit = Has(s.dom, d);
  unsigned wd = date::weekday(date::sys_days(date::year{y} / date::month{m} / date::day{d})).c_encoding();
  bool dow_hit = Has(s.dow, wd);
  // Vixie: OR when both are restricted, AND otherwise (a `*` field is all ones).
  if (s.dom_star || s.dow_star) return dom_hit && dow_hit;
  return dom_hit || dow_hit;
}

// The smallest wall time >= start whose fields all match, skipping whole
// months/days/hours/minutes that cannot match; nullopt past year_limit.
std::optional<local_seconds> NextMatch(const Fields& s, local_seconds start,
                                       int year_limit) {
  local_days dp = std::chrono::floor<date::days>(start);
  date::year_month_day ymd{dp};
  date::hh_mm_ss<seconds> tod{start - dp};
  int y = static_cast<int>(ymd.year());
  unsigned mo = static_cast<unsigned>(ymd.month());
  unsigned d = static_cast<unsigned>(ymd.day());
  int h = static_cast<int>(tod.hours().count());
  int mi = static_cast<int>(tod.minutes().count());
  int se = static_cast<int>(tod.seconds().count());

  auto next_day = [&] {
    h = mi = se = 0;
    if (++d > LastDay(y, mo)) {
      d = 1;
      if (++mo > 12) {
        mo = 1;
        ++y;
      }
    }
  };
  while (y <= year_limit) {
    if (!Has(s.months, mo)) {
      int nm = NextBit(s.months, static_cast<int>(mo));
      if (nm < 0) {
        ++y;
        nm = NextBit(s.months, 1);
      }
      mo = static_cast<unsigned>(nm);
      d = 1;
      h = mi = se = 0;
      continue;
    }
    if (!DayMatches(s, y, mo, d)) {
      if (s.dow_star) {  // only day-of-month decides: jump straight to its next value
        int nd = NextBit(s.dom, static_cast<int>(d));
        if (nd > 0 && static_cast<unsigned>(nd) <= LastDay(y, mo)) {
          d = static_cast<unsigned>(nd);
          h = mi = se = 0;
          continue;
        }
        d = LastDay(y, mo);
      }
      next_day();
      continue;
    }
    int nh = NextBit(s.hours, h);
    if (nh < 0) {
      next_day();
      continue;
    }
    if (nh != h) {
      h = nh;
      mi = se = 0;
    }
    int nmi = NextBit(s.minutes, mi);
    if (nmi < 0) {
      mi = se = 0;
      if (++h > 23) next_day();
      continue;
    }
    if (nmi != mi) {
      mi = nmi;
      se = 0;
    }
    int nse = NextBit(s.seconds, se);
    if (nse < 0) {
      se = 0;
      if (++mi > 59) {
        mi = 0;
        if (++h > 23) next_day();
      }
      continue;
    }
    se = nse;
    return local_days(date::year{y} / date::month{mo} / date::day{d}) + std::chrono::hours(h) +
           std::chrono::minutes(mi) + seconds(se);
  }
  return std::nullopt;
}

// Whether some month in the set has some day-of-month in the set (Feb counted
// with 29 days). Only meaningful when day-of-week is `*`.
bool DomCanMatch(const Fields& s) {
  constexpr std::array<unsigned, 13> kMaxDays = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (unsigned m = 1; m <= 12; ++m) {
    if (!Has(s.months, m)) continue;
    for (unsigned d = 1; d <= kMaxDays[m]; ++d) {
      if (Has(s.dom, d)) return true;
    }
  }
  return false;
}

struct Macro {
  std::string_view name;
  std::string_view fields;
};
constexpr std::array<Macro, 8> kMacros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
    {"@every", ""},
}};

// The supported year range of Next(): year 1 to 9999.
constexpr Timestamp kMinAfter{date::sys_days(date::year{1} / 1 / 1)};
constexpr Timestamp kMaxAfter{date::sys_days(date::year{10000} / 1 / 1)};
constexpr int kSearchYears = 10;

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expr, std::string_view tz_name) {
  auto spec = std::make_shared<Spec>();
  std::vector<std::string_view> fields = SplitWhitespace(expr);
  if (fields.empty()) return InvalidArgument("empty cron expression");

  std::string expanded;  // macro expansion
  if (fields[0].starts_with('@')) {
    std::string name = Lower(fields[0]);
    const Macro* macro = nullptr;
    for (const Macro& m : kMacros) {
      if (m.name == name) macro = &m;
    }
    if (macro == nullptr) {
      return InvalidArgument(fmt::format(
          "unknown macro \"{}\" (expected @yearly, @annually, @monthly, @weekly, @daily, "
          "@midnight, @hourly or @every <duration>)",
          fields[0]));
    }
    if (name == "@every") {
      if (fields.size() != 2) {
        return InvalidArgument(fmt::format("@every takes one duration, e.g. \"@every 90s\", got {}",
                                           fields.size() - 1));
      }
      std::string dur = Lower(fields[1]);
      STEWARD_ASSIGN_OR_RETURN(Micros every, ParseEvery(dur));
      spec->every = every;
      spec->text = "@every " + dur;
    } else {
      if (fields.size() != 1) {
        return InvalidArgument(fmt::format("{} takes no arguments, got \"{}\"", name, fields[1]));
      }
      spec->text = name;
      expanded = macro->fields;
      fields = SplitWhitespace(expanded);
    }
  } else {
    if (fields.size() != 5 && fields.size() != 6) {
      return InvalidArgument(fmt::format("expected 5 or 6 fields, got {}", fields.size()));
    }
  }

  if (!spec->every) {
    const bool has_seconds = fields.size() == 6;
    std::array<const FieldDef*, 6> defs = {&kSecond, &kMinute, &kHour, &kDayOfMonth, &kMonth, &kDayOfWeek};
    std::array<uint64_t*, 6> bits = {&spec->seconds, &spec->minutes, &spec->hours,
                                     &spec->dom,     &spec->months,  &spec->dow};
    std::string normalised;
    for (size_t i = 0; i < fields.size(); ++i) {
      size_t def = has_seconds ? i : i + 1;
      STEWARD_RETURN_IF_ERROR(ParseField(*defs[def], fields[i], bits[def]));
      if (!normalised.empty()) normalised += ' ';
      normalised += defs[def]->names != nullptr ? Upper(fields[i]) : std::string(fields[i]);
    }
    if (!has_seconds) spec->seconds = 1;  // second 0
    spec->dom_star = fields[fields.size() - 3] == "*";
    spec->dow_star = fields[fields.size() - 1] == "*";
    spec->never = spec->dow_star && !DomCanMatch(*spec);
    if (spec->text.empty()) spec->text = std::move(normalised);
  }

  spec->tz_name = tz_name.empty() ? "UTC" : std::string(tz_name);
  STEWARD_ASSIGN_OR_RETURN(spec->zone, CronZone::Locate(spec->tz_name));
  return CronSchedule(std::move(spec));
}

std::optional<Timestamp> CronSchedule::Next(Timestamp after) const {
  const Spec& s = *spec_;
  if (s.every) {
    // Grid anchored at the epoch: the smallest multiple of the period > after.
    const int64_t period = s.every->count();
    const int64_t t = ToMicros(after);
    int64_t k = t / period;
    if (t % period < 0) --k;  // floor division for instants before 1970
    if (k >= std::numeric_limits<int64_t>::max() / period) return std::nullopt;
    return FromMicros((k + 1) * period);
  }
  if (s.never || after < kMinAfter || after >= kMaxAfter) return std::nullopt;

  const date::sys_seconds after_s = std::chrono::floor<seconds>(after);
  const seconds offset = s.zone.is_utc() ? seconds(0) : s.zone.SysInfo(after_s).offset;
  // Matching starts at the wall second after `after`. Wall time maps to
  // instants monotonically (gap times collapse onto the transition, overlap
  // times take their first occurrence), so no earlier wall time can map to an
  // instant after `after`.
  local_seconds wall = local_seconds((after_s + offset).time_since_epoch()) + seconds(1);
  const int year_limit = std::min(
      9999, static_cast<int>(date::year_month_day(std::chrono::floor<date::days>(wall)).year()) +
                kSearchYears);
  for (;;) {
    std::optional<local_seconds> m = NextMatch(s, wall, year_limit);
    if (!m) return std::nullopt;
    if (s.zone.is_utc()) return Timestamp(date::sys_seconds(m->time_since_epoch()));
    const date::local_info info = s.zone.LocalInfo(*m);
    date::sys_seconds fire;
    local_seconds resume;  // where to continue when `fire` is not after `after`
    switch (info.result) {
      case date::local_info::unique:
        fire = date::sys_seconds((*m - info.first.offset).time_since_epoch());
        resume = *m + seconds(1);
        break;
      case date::local_info::nonexistent:
        // In a spring-forward gap: fire at the first instant after the gap.
        fire = info.first.end;
        resume = local_seconds((info.first.end + info.second.offset).time_since_epoch());
        break;
      case date::local_info::ambiguous:
      default:
        // In a fall-back overlap: only the first occurrence fires; if that is
        // already past, no wall time in the overlap can fire any more.
        fire = date::sys_seconds((*m - info.first.offset).time_since_epoch());
        resume = local_seconds((info.first.end + info.first.offset).time_since_epoch());
        break;
    }
    if (fire > after) return Timestamp(fire);
    wall = std::max(resume, *m + seconds(1));
  }
}

const std::string& CronSchedule::ToString() const { return spec_->text; }

const std::string& CronSchedule::time_zone() const { return spec_->tz_name; }

std::optional<Micros> CronSchedule::interval() const { return spec_->every; }

}  // namespace steward
