// Naming a client's mistake without repeating it. Whatever a client sends where a field name or
// a type belongs may be a secret pasted in the wrong place (a 16-character password looks like
// any identifier), so error messages never echo it: they suggest the known word it is closest to.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace coffer {

// " (did you mean 'scopes'?)" when `word` is within a small edit distance of one of `known`
// (ignoring case), else "". Only the known word is ever quoted.
std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& known);

}  // namespace coffer
