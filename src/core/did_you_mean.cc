#include "core/did_you_mean.h"

#include <algorithm>
#include <cctype>

namespace coffer {
namespace {

char Fold(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Levenshtein distance, ignoring case; stops counting past `limit`.
size_t EditDistance(std::string_view a, std::string_view b, size_t limit) {
  if (a.size() > b.size() + limit || b.size() > a.size() + limit) return limit + 1;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (Fold(a[i - 1]) == Fold(b[j - 1]) ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& known) {
  // Long input is no typo of a field name; short words allow fewer edits, so that a guess is
  // not a coincidence.
  constexpr size_t kLongestTypo = 40;
  if (word.empty() || word.size() > kLongestTypo) return "";
  const size_t limit = word.size() <= 4 ? 1 : 2;
  std::string_view best;
  size_t best_distance = limit + 1;
  for (std::string_view candidate : known) {
    size_t distance = EditDistance(word, candidate, limit);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best.empty() ? "" : " (did you mean '" + std::string(best) + "'?)";
}

}  // namespace coffer
