// Space-separated lists in one text column: scopes, CIDRs, delegation chains (none holds a
// space). Every engine stores them alike, so a row means the same thing in each.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace coffer::store {

std::string JoinWords(const std::vector<std::string>& words);
std::vector<std::string> SplitWords(std::string_view text);

}  // namespace coffer::store
