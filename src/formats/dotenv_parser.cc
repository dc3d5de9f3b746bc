#include "formats/dotenv_parser.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "core/secure_wipe.h"
#include "formats/js_text.h"

namespace coffer {
namespace {

// dotenv runs this regular expression (flags m and g) over the whole file:
//
//   (?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)
//   (\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)
//
// LineMatcher reproduces its backtracking search step by step rather than approximating it, because
// its quirks are observable: `\s` crosses line ends (so `KEY=` followed by a line '...' takes that
// line as its value), a quoted value runs to the last closing quote that ends a line, and a line
// that does not match is skipped. Comments name the regex piece each step implements.

enum class ValueForm {
  kAbsent,    // the optional value group did not participate
  kQuoted,    // one of the three \s*q(?:\\q|[^q])*q alternatives
  kUnquoted,  // [^#\r\n]+
};

struct LineMatch {
  size_t begin = 0;  // a line start
  size_t end = 0;    // a line terminator or the end of the text
  size_t key_begin = 0, key_end = 0;
  size_t value_begin = 0, value_end = 0;  // capture group 2
  ValueForm form = ValueForm::kAbsent;
};

bool IsKeyChar(char32_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool IsQuote(char32_t c) { return c == '\'' || c == '"' || c == '`'; }

class LineMatcher {
 public:
  explicit LineMatcher(const std::u32string& text) : t_(text), n_(text.size()) {}

  // RegExp.prototype.exec with lastIndex = `from`: the first match starting at or after it.
  std::optional<LineMatch> Next(size_t from) const {
    std::optional<size_t> p = LineStartAtOrAfter(from);
    while (p) {
      if (auto m = MatchAt(*p)) return m;
      // Every line start up to the first non-space after p fails the same way (the leading \s*
      // reaches the same place), so resume after it: this keeps the search linear.
      p = LineStartAtOrAfter(SkipSpaces(*p) + 1);
    }
    return std::nullopt;
  }

  size_t SkipSpaces(size_t i) const {
    while (i < n_ && IsJsWhitespace(t_[i])) ++i;
    return i;
  }

  // Positions of the quote characters that can close a quote opened at `open`, in increasing order:
  // (?:\\q|[^q])* can step over a quote only when a backslash precedes it, so the candidates are
  // every such escaped quote up to and including the first unescaped one.
  std::vector<size_t> ClosingQuoteCandidates(size_t open) const {
    std::vector<size_t> candidates;
    const char32_t q = t_[open];
    for (size_t i = open + 1; i < n_; ++i) {
      if (t_[i] != q) continue;
      candidates.push_back(i);
      if (t_[i - 1] != '\\') break;
    }
    return candidates;
  }

 private:
  // ^ with the m flag: the start of the text or just after a line terminator.
  std::optional<size_t> LineStartAtOrAfter(size_t i) const {
    if (i > n_) return std::nullopt;
    if (i == 0 || IsJsLineTerminator(t_[i - 1])) return i;
    for (; i < n_; ++i) {
      if (IsJsLineTerminator(t_[i])) return i + 1;
    }
    return std::nullopt;
  }

  // \s*(?:export\s+)?  then the rest. The optional group is greedy: first with "export ".
  std::optional<LineMatch> MatchAt(size_t line_start) const {
    const size_t y = SkipSpaces(line_start);
    static constexpr std::u32string_view kExport = U"export";
    if (t_.compare(y, kExport.size(), kExport) == 0 && y + kExport.size() < n_ &&
        IsJsWhitespace(t_[y + kExport.size()])) {
      if (auto m = MatchFromKey(line_start, SkipSpaces(y + kExport.size()))) return m;
    }
    return MatchFromKey(line_start, y);
  }

  // ([\w.-]+)(?:\s*=\s*?|:\s+?)  then the value. Backtracking into the key or the leading spaces
  // never helps (a separator cannot start on a key character), so only the lazy quantifiers after
  // the separator are explored, shortest first.
  std::optional<LineMatch> MatchFromKey(size_t line_start, size_t key_begin) const {
    size_t key_end = key_begin;
    while (key_end < n_ && IsKeyChar(t_[key_end])) ++key_end;
    if (key_end == key_begin) return std::nullopt;

    std::optional<size_t> value_start;
    const size_t equals = SkipSpaces(key_end);
    if (equals < n_ && t_[equals] == '=') {
      value_start = equals + 1;  // \s*= then \s*? from zero spaces
    } else if (key_end + 1 < n_ && t_[key_end] == ':' && IsJsWhitespace(t_[key_end + 1])) {
      value_start = key_end + 2;  // : then \s+? from one space
    }
    if (!value_start) return std::nullopt;
    for (size_t v = *value_start;; ++v) {
      if (auto m = MatchValue(v)) {
        m->begin = line_start;
        m->key_begin = key_begin;
        m->key_end = key_end;
        return m;
      }
      if (v >= n_ || !IsJsWhitespace(t_[v])) return std::nullopt;
    }
  }

  // The optional value group, its alternatives in order, each followed by the tail.
  std::optional<LineMatch> MatchValue(size_t v) const {
    const size_t quote = SkipSpaces(v);
    if (quote < n_ && IsQuote(t_[quote])) {
      const std::vector<size_t> closes = ClosingQuoteCandidates(quote);
      // The greedy body tries its longest extent first.
      for (auto close = closes.rbegin(); close != closes.rend(); ++close) {
        if (auto end = MatchTail(*close + 1)) {
          return LineMatch{0, *end, 0, 0, v, *close + 1, ValueForm::kQuoted};
        }
      }
    }
    size_t unquoted_end = v;
    while (unquoted_end < n_ && t_[unquoted_end] != '#' && t_[unquoted_end] != '\r' &&
           t_[unquoted_end] != '\n') {
      ++unquoted_end;
    }
    for (size_t e = unquoted_end; e > v; --e) {
      if (auto end = MatchTail(e)) return LineMatch{0, *end, 0, 0, v, e, ValueForm::kUnquoted};
    }
    if (auto end = MatchTail(v)) return LineMatch{0, *end, 0, 0, v, v, ValueForm::kAbsent};
    return std::nullopt;
  }

  // \s*(?:#.*)?(?:$|$) : returns where the match ends. The greedy \s* may cross line ends; when
  // what follows is neither a comment nor a line end, it backs off to the last line end it crossed.
  std::optional<size_t> MatchTail(size_t x) const {
    const size_t y = SkipSpaces(x);
    if (y < n_ && t_[y] == '#') {
      size_t e = y;
      while (e < n_ && !IsJsLineTerminator(t_[e])) ++e;
      return e;
    }
    if (y == n_ || IsJsLineTerminator(t_[y])) return y;
    for (size_t w = y; w > x; --w) {
      if (IsJsLineTerminator(t_[w - 1])) return w - 1;
    }
    return std::nullopt;
  }

  const std::u32string& t_;
  const size_t n_;
};

// 1-based line numbers, counting the \n of the normalised text.
class LineIndex {
 public:
  explicit LineIndex(const std::u32string& text) {
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') newlines_.push_back(i);
    }
  }
  int LineOf(size_t position) const {
    return static_cast<int>(std::lower_bound(newlines_.begin(), newlines_.end(), position) -
                            newlines_.begin()) + 1;
  }

 private:
  std::vector<size_t> newlines_;
};

std::string LinePrefix(int line) { return "line " + std::to_string(line) + ": "; }

// dotenv's `lines.replace(/\r\n?/mg, '\n')`, applied to the decoded text.
void NormalizeLineEnds(std::u32string& text) {
  size_t out = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      text[out++] = '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      text[out++] = text[i];
    }
  }
  SecureWipe(text.data() + out, (text.size() - out) * sizeof(char32_t));
  text.resize(out);
}

// The line number (after CR/CRLF normalisation) of a byte offset in the raw file.
int LineOfByte(std::string_view raw, size_t offset) {
  int line = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (raw[i] == '\n' || (raw[i] == '\r' && (i + 1 >= raw.size() || raw[i + 1] != '\n'))) ++line;
  }
  return line;
}

// `value.trim()`
void TrimJs(std::u32string& value) {
  size_t begin = 0, end = value.size();
  while (begin < end && IsJsWhitespace(value[begin])) ++begin;
  while (end > begin && IsJsWhitespace(value[end - 1])) --end;
  std::copy(value.begin() + static_cast<std::ptrdiff_t>(begin),
            value.begin() + static_cast<std::ptrdiff_t>(end), value.begin());
  SecureWipe(value.data() + (end - begin), (value.size() - (end - begin)) * sizeof(char32_t));
  value.resize(end - begin);
}

// `value.replace(/^(['"`])([\s\S]*)\1$/mg, '$2')`. With the m flag every line of a multi-line
// value may start a match; the greedy body makes each match end at the last same quote that ends a
// line. Done in place so no copy of the value is left behind.
void StripQuotes(std::u32string& value) {
  const size_t n = value.size();
  // For each quote character, the last position where it is followed by a line end.
  const auto last_closing = [&](char32_t q) -> std::optional<size_t> {
    for (size_t j = n; j-- > 0;) {
      if (value[j] == q && (j + 1 == n || IsJsLineTerminator(value[j + 1]))) return j;
    }
    return std::nullopt;
  };
  const std::optional<size_t> closing[] = {last_closing('\''), last_closing('"'), last_closing('`')};
  const auto closing_for = [&](char32_t q) {
    return q == '\'' ? closing[0] : q == '"' ? closing[1] : closing[2];
  };

  std::vector<bool> drop(n, false);
  for (size_t i = 0; i < n; ++i) {
    if (!(i == 0 || IsJsLineTerminator(value[i - 1])) || !IsQuote(value[i])) continue;
    const std::optional<size_t> j = closing_for(value[i]);
    if (!j || *j <= i) continue;
    drop[i] = drop[*j] = true;
    i = *j;  // the search resumes after the match
  }
  size_t out = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!drop[i]) value[out++] = value[i];
  }
  SecureWipe(value.data() + out, (n - out) * sizeof(char32_t));
  value.resize(out);
}

// `value.replace(/\\<letter>/g, replacement)`, in place.
void ExpandEscape(std::u32string& value, char32_t letter, char32_t replacement) {
  size_t out = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size() && value[i + 1] == letter) {
      value[out++] = replacement;
      ++i;
    } else {
      value[out++] = value[i];
    }
  }
  SecureWipe(value.data() + out, (value.size() - out) * sizeof(char32_t));
  value.resize(out);
}

// What dotenv does with capture group 2.
std::string DotenvValue(std::u32string_view raw) {
  std::u32string value(raw);
  TrimJs(value);
  const bool double_quoted = !value.empty() && value[0] == '"';
  StripQuotes(value);
  if (double_quoted) {
    ExpandEscape(value, 'n', '\n');
    ExpandEscape(value, 'r', '\r');
  }
  std::string utf8 = EncodeUtf8(value);
  WipeCodePoints(value);
  return utf8;
}

std::string QuoteName(char32_t q) {
  return q == '\'' ? "single quote (')" : q == '"' ? "double quote (\")" : "backtick (`)";
}

class Parser {
 public:
  explicit Parser(const std::u32string& text) : text_(text), matcher_(text), lines_(text) {}

  Result<std::vector<DotenvEntry>> Run() {
    std::vector<DotenvEntry> entries;
    std::unordered_map<std::string, size_t> index_of_key;
    size_t position = 0;
    while (auto m = matcher_.Next(position)) {
      COFFER_TRY(CheckSkippedLines(position, m->begin));
      const std::u32string_view text(text_);
      const std::string key = EncodeUtf8(text.substr(m->key_begin, m->key_end - m->key_begin));
      const int line = lines_.LineOf(m->key_begin);
      COFFER_TRY(CheckQuoting(*m, key, line));
      std::string value = DotenvValue(text.substr(m->value_begin, m->value_end - m->value_begin));
      auto [it, inserted] = index_of_key.try_emplace(key, entries.size());
      if (inserted) {
        entries.push_back(DotenvEntry{key, std::move(value), line});
      } else {
        DotenvEntry& entry = entries[it->second];
        SecureWipe(entry.value);
        entry.value = std::move(value);
        entry.line = line;
      }
      position = m->end;
    }
    COFFER_TRY(CheckSkippedLines(position, text_.size()));
    return entries;
  }

 private:
  // dotenv silently skips text between matches. It is fine when blank or a comment; anything else
  // is a line dotenv could not read, so it is reported.
  Status CheckSkippedLines(size_t begin, size_t end) const {
    size_t i = begin;
    while (i < end) {
      while (i < end && IsJsWhitespace(text_[i])) ++i;
      if (i >= end) break;
      if (text_[i] != '#') {
        return MakeError(ErrorCode::kInvalidArgument,
                         LinePrefix(lines_.LineOf(i)) +
                             "expected KEY=VALUE, `export KEY=VALUE` or a # comment (a key is "
                             "letters, digits, '_', '.' and '-', followed by '=')");
      }
      while (i < end && !IsJsLineTerminator(text_[i])) ++i;
    }
    return Status::Ok();
  }

  // An unquoted value that starts with a quote means the quoted reading failed: the quote is never
  // closed, or text follows the closing quote. dotenv would keep the quotes in the value.
  Status CheckQuoting(const LineMatch& m, const std::string& key, int line) const {
    if (m.form != ValueForm::kUnquoted) return Status::Ok();
    const size_t first = matcher_.SkipSpaces(m.value_begin);
    if (first >= m.value_end || !IsQuote(text_[first])) return Status::Ok();
    const std::vector<size_t> closes = matcher_.ClosingQuoteCandidates(first);
    const std::string quote = QuoteName(text_[first]);
    if (closes.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       LinePrefix(line) + "the value of " + key + " opens a " + quote +
                           " that is never closed");
    }
    if (text_[closes.back() - 1] == '\\') {
      return MakeError(ErrorCode::kInvalidArgument,
                       LinePrefix(line) + "the value of " + key + " opens a " + quote +
                           " that is never closed: the backslash before the quote on line " +
                           std::to_string(lines_.LineOf(closes.back())) + " escapes it");
    }
    const int close_line = lines_.LineOf(closes.back());
    return MakeError(ErrorCode::kInvalidArgument,
                     LinePrefix(line) + "the value of " + key + " has text after its closing " + quote +
                         (close_line != line ? " on line " + std::to_string(close_line) : std::string()) +
                         ": put the whole value inside the quotes, or start a comment with ' #'");
  }

  const std::u32string& text_;
  LineMatcher matcher_;
  LineIndex lines_;
};

}  // namespace

DotenvEntry::~DotenvEntry() { SecureWipe(value); }

Result<std::vector<DotenvEntry>> ParseDotenv(std::string_view text) {
  std::u32string decoded;
  decoded.reserve(text.size());  // never reallocate: a freed buffer would keep a copy of a secret
  if (std::optional<size_t> bad = DecodeUtf8(text, decoded)) {
    WipeCodePoints(decoded);
    return MakeError(ErrorCode::kInvalidArgument,
                     LinePrefix(LineOfByte(text, *bad)) + "the file is not valid UTF-8 text: save it as UTF-8");
  }
  NormalizeLineEnds(decoded);
  auto entries = Parser(decoded).Run();
  WipeCodePoints(decoded);
  return entries;
}

}  // namespace coffer
