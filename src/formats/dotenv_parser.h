// Reads .env files exactly as npm dotenv 16 does (its parse(), lib/main.js), so that importing a
// project's .env into Coffer gives the values the project was running with. That is the de-facto
// standard: comments, `export ` prefixes, '...', "..." and `...` quotes, multi-line quoted values,
// \n and \r expanded inside double quotes only, inline # comments after unquoted values, `KEY: value`,
// empty values, CRLF and lone CR line ends, a byte order mark, and the last of repeated keys wins.
//
// Deliberate differences: where dotenv silently drops or mangles a line, this parser refuses the
// file with an error naming the line, because an import that quietly loses or alters a secret is
// worse than one that asks for a fix:
//   - a line that is neither KEY=VALUE, a comment nor blank (dotenv skips it);
//   - a value that opens a quote and never closes it, or has text after its closing quote
//     (dotenv keeps the quote characters as part of the value);
//   - bytes that are not UTF-8 (dotenv substitutes U+FFFD).
// One more, not an error: dotenv loses a key named __proto__ (a JavaScript object quirk); we keep it.
// dotenv's other quirks are kept, because they decide what the application actually received:
// `KEY=` followed by a line holding only a quoted string takes that string as its value, a key may
// have its = on the next line, and an unquoted # starts a comment even without a space before it.
// Messages name lines and keys, never values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace coffer {

struct DotenvEntry {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line of the key; for a repeated key, of its last assignment

  ~DotenvEntry();  // wipes the value
};

// Entries in the order each key first appears, each holding the value of its last assignment.
Result<std::vector<DotenvEntry>> ParseDotenv(std::string_view text);

}  // namespace coffer
