// Writes .env files that npm dotenv 16 reads back to exactly the values written (the export side
// of the .env import). Each value gets the plainest form that survives dotenv's parse():
//   - bare, when dotenv would not trim, cut or unquote it;
//   - "double quotes" with line breaks written as \n and \r, when the value has no " and no
//     backslash: every dotenv dialect (Node, Python, Ruby, Go, Docker Compose) reads that alike;
//   - 'single quotes', literally, with line breaks kept as real line breaks;
//   - "double quotes" holding backslashes, when no \n or \r pair would be mistaken for an escape;
//   - `backticks`, literally.
// dotenv has no escape for a quote character and reads a backslash before the closing quote as an
// escape, so a value needing quotes that contains all three quote characters, or ends with a
// backslash, cannot be written: that is an error naming the key (never showing the value).
#pragma once

#include <span>
#include <string>

#include "core/result.h"
#include "formats/dotenv_parser.h"

namespace coffer {

// One `KEY=value` line per entry (the `line` field is ignored), each ending in \n. Keys must be
// what dotenv reads as a key: letters, digits, '_', '.' and '-'. Values must be UTF-8.
Result<std::string> WriteDotenv(std::span<const DotenvEntry> entries);

}  // namespace coffer
