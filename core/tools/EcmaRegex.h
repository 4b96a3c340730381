#pragma once

// JSON Schema patterns are ECMA-262 regular expressions; QRegularExpression is
// PCRE2, which reads the same text differently in ways that matter for a check
// that must not let bad input through: PCRE's `$` also matches before a final
// newline, `.` matches \r and U+2028, `\s` is ASCII-only, `\v` is a class, `a++`
// is possessive, `{,3}` is a quantifier. EcmaRegex translates an ECMA-262 pattern
// (Unicode mode, with the common Annex B leniencies for escaped punctuation) into
// PCRE2 text that means the same, and refuses what it cannot translate faithfully
// (PCRE-only syntax, unknown letter escapes) instead of guessing.

#include "core/util/Result.h"

#include <QRegularExpression>
#include <QString>

namespace airlock {

class EcmaRegex {
public:
    // The PCRE2 text for an ECMA-262 pattern, or why it is not one we can honour.
    static Result<QString> translate(const QString &pattern);

    // translate() then compile. The result searches (unanchored), as `pattern` does.
    static Result<QRegularExpression> compile(const QString &pattern);
};

} // namespace airlock
