#include "store/word_list.h"

#include <algorithm>

namespace coffer::store {

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& s : words) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

// By hand: an istringstream per column (its locale and buffers) was 5% of a delegated read's CPU,
// which splits the scopes of a token and of five identities. JoinWords puts one space between
// words; runs of spaces and blanks at the ends are tolerated all the same.
std::vector<std::string> SplitWords(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  out.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), ' ')) + 1);
  while (!text.empty()) {
    const size_t space = std::min(text.find(' '), text.size());
    if (space > 0) out.emplace_back(text.substr(0, space));
    text.remove_prefix(std::min(space + 1, text.size()));
  }
  return out;
}

}  // namespace coffer::store
