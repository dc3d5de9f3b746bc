#include "core/time.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace coffer {
namespace {

bool ReadDigits(std::string_view s, size_t pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

// Days from 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

UnixMicros NowMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string FormatIso8601(UnixMicros t) {
  std::int64_t secs = t / 1000000;
  std::int64_t micros = t % 1000000;
  if (micros < 0) { micros += 1000000; secs -= 1; }
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];
  if (micros == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(micros));
  }
  return buf;
}

std::optional<UnixMicros> ParseIso8601(std::string_view s) {
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !ReadDigits(s, 5, 2, month) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, day)) {
    return std::nullopt;
  }
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return std::nullopt;
  int max_day = kDaysInMonth[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
  if (day < 1 || day > max_day) return std::nullopt;

  std::int64_t micros = 0;
  std::int64_t offset_seconds = 0;
  if (s.size() > 10) {
    if ((s[10] != 'T' && s[10] != 't') || !ReadDigits(s, 11, 2, hour) || s.size() < 19 ||
        s[13] != ':' || !ReadDigits(s, 14, 2, minute) || s[16] != ':' ||
        !ReadDigits(s, 17, 2, second)) {
      return std::nullopt;
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      size_t digits = 0;
      std::int64_t scale = 100000;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 6) { micros += (s[pos] - '0') * scale; scale /= 10; }
        ++digits;
        ++pos;
      }
      if (digits == 0) return std::nullopt;
    }
    if (pos >= s.size()) return std::nullopt;  // a timestamp needs an explicit zone
    if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
      // UTC
    } else if ((s[pos] == '+' || s[pos] == '-') && pos + 6 == s.size() && s[pos + 3] == ':') {
      int oh, om;
      if (!ReadDigits(s, pos + 1, 2, oh) || !ReadDigits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
        return std::nullopt;
      }
      offset_seconds = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    } else {
      return std::nullopt;
    }
  }
  std::int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return secs * 1000000 + micros;
}

}  // namespace coffer
