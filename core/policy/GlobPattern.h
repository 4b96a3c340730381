#pragma once

// Shell-style wildcard matching of a whole string: `*` any run of characters
// (including '/'), `?` one character, `[abc]`, `[a-z]`, `[!x]` a class, `\` escapes.
// Used for tool names and input fields in policy rules.

#include <QString>

namespace airlock {

class GlobPattern {
public:
    static bool matches(QStringView pattern, QStringView text);
    // Why `pattern` is not a well-formed glob, or empty when it is. A rule must be
    // refused when it is written, not left to never match: an unclosed '[', a
    // backwards range ("[z-a]"), a trailing lone '\\'.
    static QString compileError(QStringView pattern);
    // A pattern that matches exactly `literal` (wildcards escaped).
    static QString escape(QStringView literal);
};

} // namespace airlock
