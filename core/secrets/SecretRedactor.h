#pragma once

// Takes secret values out of text before it is shown, logged or stored: every
// occurrence of a value, and of the forms it takes on its way through tools and
// HTTP, becomes `[secret:NAME]`. The forms: the value as is; standard and URL-safe
// base64, with and without padding; percent-encoded (QUrl::toPercentEncoding, and
// encodeURIComponent's unreserved set; upper- and lower-case hex; "+" for space);
// and as it appears inside a JSON string (\" \\ \b \f \n \r \t, "/" as is or as \/,
// other control characters and, as some encoders write them, non-ASCII characters
// as \uXXXX in either case).
//
// One pass over the text whatever the number of secrets and forms (an Aho–Corasick
// automaton, see SecretMatcher). Where matches overlap, the longest wins and a
// value contained in a longer one is not named; two values that overlap without
// either containing the other are both named, so no part of either survives.
// Values shorter than kMinLength characters are refused: they would shred ordinary
// text, and a secret that short is no secret.
//
// Copies share their values: a copy handed to a log view redacts what is added to
// the original later. Thread-safe: add() and redact() may be called from any thread
// at once; redact() works on an immutable snapshot of the values.

#include "core/util/Result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>
#include <utility>

namespace airlock {

class SecretMatcher;
class SecretRedactingStream;

class SecretRedactor {
public:
    static constexpr int kMinLength = 4;

    SecretRedactor();

    // Redacts `value` (and its forms) as `[secret:NAME]` from now on. BadInput, and
    // nothing added, for a value shorter than kMinLength characters or a name
    // that is empty or holds "]" or a line break. Adding a pair again changes nothing.
    Status add(const QString &name, const QString &value);
    // add() for each pair; the messages of those refused (for a warning list).
    QStringList addAll(const QList<std::pair<QString, QString>> &values);

    QString redact(const QString &text) const;
    QByteArray redact(const QByteArray &utf8) const; // UTF-8 in, UTF-8 out
    bool isEmpty() const;

    static QString placeholder(const QString &name) { return QStringLiteral("[secret:%1]").arg(name); }
    // The byte strings redacted for `value`, each once (UTF-8).
    static QList<QByteArray> formsOf(const QString &value);

private:
    friend class SecretRedactingStream;
    struct Shared;
    // The current automaton and its labels (one per name), and a number that
    // changes with every add().
    struct Snapshot {
        std::shared_ptr<const SecretMatcher> matcher;
        std::shared_ptr<const QList<QByteArray>> labels;
        quint64 generation = 0;
    };
    Snapshot snapshot() const;

    std::shared_ptr<Shared> m_shared;
};

} // namespace airlock
