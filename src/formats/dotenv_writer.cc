#include "formats/dotenv_writer.h"

#include <algorithm>

#include "core/secure_wipe.h"
#include "formats/js_text.h"

namespace coffer {
namespace {

bool IsDotenvKey(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

bool Contains(std::u32string_view value, char32_t c) { return value.find(c) != std::u32string_view::npos; }

// Read bare, dotenv keeps a value unchanged unless trim() would shorten it, a # would start a
// comment, a line end would cut it, or a leading quote would make it a quoted value.
bool SurvivesBare(std::u32string_view value) {
  if (value.empty()) return true;
  if (IsJsWhitespace(value.front()) || IsJsWhitespace(value.back())) return false;
  if (value.front() == '\'' || value.front() == '"' || value.front() == '`') return false;
  return std::none_of(value.begin(), value.end(),
                      [](char32_t c) { return c == '#' || IsJsLineTerminator(c); });
}

// Inside quotes dotenv turns \r\n and lone \r into \n before anything else, so a carriage return
// survives only as the \r escape of double quotes. A backslash just before the closing quote would
// escape it.
bool SurvivesLiteralQuotes(std::u32string_view value, char32_t quote) {
  return !Contains(value, quote) && !Contains(value, '\r') && (value.empty() || value.back() != '\\');
}

// In double quotes dotenv replaces the two-character sequences \n and \r: the value must not
// contain them itself. Line breaks are written as those escapes.
bool SurvivesDoubleQuotes(std::u32string_view value) {
  if (Contains(value, '"') || (!value.empty() && value.back() == '\\')) return false;
  for (size_t i = 0; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && (value[i + 1] == 'n' || value[i + 1] == 'r')) return false;
  }
  return true;
}

void AppendDoubleQuoted(std::u32string_view value, std::string& out) {
  out += '"';
  for (char32_t c : value) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      AppendUtf8(c, out);
    }
  }
  out += '"';
}

void AppendQuoted(std::u32string_view value, char quote, std::string& out) {
  out += quote;
  for (char32_t c : value) AppendUtf8(c, out);
  out += quote;
}

// Keys are not secret, but one that is not printable text is named by its position instead.
std::string DescribeKey(std::string_view key, size_t index) {
  const bool printable = !key.empty() && key.size() <= 100 &&
                         std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
  return printable ? "\"" + std::string(key) + "\"" : "number " + std::to_string(index + 1);
}

Status AppendValue(const DotenvEntry& entry, std::string& out) {
  std::u32string value;
  value.reserve(entry.value.size());
  if (DecodeUtf8(entry.value, value)) {
    WipeCodePoints(value);
    return MakeError(ErrorCode::kInvalidArgument,
                     "the value of " + entry.key + " is not UTF-8 text, which a .env file must be");
  }
  Status status;
  if (SurvivesBare(value)) {
    out += entry.value;
  } else if (!Contains(value, '"') && !Contains(value, '\\')) {
    AppendDoubleQuoted(value, out);
  } else if (SurvivesLiteralQuotes(value, '\'')) {
    AppendQuoted(value, '\'', out);
  } else if (SurvivesDoubleQuotes(value)) {
    AppendDoubleQuoted(value, out);
  } else if (SurvivesLiteralQuotes(value, '`')) {
    AppendQuoted(value, '`', out);
  } else {
    status = MakeError(ErrorCode::kInvalidArgument,
                       "the value of " + entry.key +
                           " cannot be written so that dotenv reads it back unchanged: it needs "
                           "quotes, and dotenv has no quote form for a value that contains ', \" and ` "
                           "together, or that ends with a backslash");
  }
  WipeCodePoints(value);
  return status;
}

}  // namespace

Result<std::string> WriteDotenv(std::span<const DotenvEntry> entries) {
  size_t size = 0;
  for (const auto& e : entries) size += e.key.size() + 2 * e.value.size() + 4;
  std::string out;
  out.reserve(size);  // an upper bound: never reallocate, a freed buffer would keep secrets
  for (size_t i = 0; i < entries.size(); ++i) {
    const DotenvEntry& entry = entries[i];
    if (!IsDotenvKey(entry.key)) {
      SecureWipe(out);
      return MakeError(ErrorCode::kInvalidArgument,
                       "key " + DescribeKey(entry.key, i) +
                           " is not a name dotenv can read: use letters, digits, '_', '.' and '-'");
    }
    out += entry.key;
    out += '=';
    Status status = AppendValue(entry, out);
    if (!status.ok()) {
      SecureWipe(out);
      return status.error();
    }
    out += '\n';
  }
  return out;
}

}  // namespace coffer
