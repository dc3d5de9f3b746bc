// Text as JavaScript sees it, which is what npm dotenv's regular expressions and String.trim() act
// on: UTF-8 decoded to code points, with ECMAScript's sets of whitespace and line terminators. The
// dotenv reader and writer both need these exact sets, or a value would change in a round trip.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace coffer {

// ECMAScript LineTerminator: \n \r U+2028 U+2029. `.`, `^` and `$` (with the m flag) stop there.
bool IsJsLineTerminator(char32_t c);

// What `\s` matches and String.prototype.trim() removes: LineTerminator plus WhiteSpace (tab,
// vertical tab, form feed, space, the byte order mark and the Unicode Space_Separator characters).
bool IsJsWhitespace(char32_t c);

// Appends the code points of `utf8` to `out`. Returns the byte offset of the first invalid sequence
// (overlong forms, surrogates and values past U+10FFFF are invalid, as in the WHATWG decoder Node
// uses), or nullopt when the whole input is valid.
std::optional<size_t> DecodeUtf8(std::string_view utf8, std::u32string& out);

void AppendUtf8(char32_t c, std::string& out);
std::string EncodeUtf8(std::u32string_view text);

// Overwrites decoded text before it is freed: decoded .env text holds secrets too.
void WipeCodePoints(std::u32string& text);

}  // namespace coffer
