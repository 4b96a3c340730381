#pragma once

// File names are bytes; the protocol's JSON (and the model) want UTF-8 text. A name
// that is not valid UTF-8 is shown with each offending byte as "\xHH" (like `ls -b`)
// and flagged, never dropped; the agent maps such an escaped path back to the bytes
// when no file has the literal name.

#include <optional>
#include <string>
#include <string_view>

namespace airlock::wire {

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points
// over U+10FFFF).
bool isValidUtf8(std::string_view s);
// `s` with every byte that is not part of a well-formed UTF-8 sequence written as
// \xHH (lower-case hex). Valid UTF-8 comes back unchanged.
std::string escapeInvalidUtf8(std::string_view s);
// The bytes an escaped name stands for: every \xHH turned back into its byte.
// Nothing when `s` has no such escape.
std::optional<std::string> unescapeBytes(std::string_view s);
// The length of the longest prefix of `s` that does not end inside a UTF-8 sequence
// that `s` cuts short (so a bounded read can stop on a character boundary).
std::size_t completeUtf8Prefix(std::string_view s);

} // namespace airlock::wire
