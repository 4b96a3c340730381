#pragma once

// A strict JSON reader for files people write by hand (airlock.json, policy
// files). QJsonDocument keeps the last of two equal keys without a word, so a
// second "policy" silently replaces the first; this reader refuses that, and
// refuses what a lenient reader might guess at: a byte-order mark, bytes that
// are not UTF-8, comments, trailing text, NaN/Infinity, numbers beyond a double,
// nesting deeper than kMaxDepth, lone surrogates. Every value's JSON path (see
// JsonPath.h) is kept with its byte offset, so later checks can say where a
// mistake is. Pure: no file system, no state, safe to fuzz.

#include "core/util/Result.h"

#include <QByteArray>
#include <QHash>
#include <QJsonValue>

namespace airlock {

struct JsonPosition {
    int line = 0;   // from 1; 0: unknown
    int column = 0; // from 1, in characters
};

struct StrictJsonDocument {
    QByteArray text;
    QJsonValue root;
    QHash<QString, qsizetype> offsets; // JSON path → byte offset where its value starts
    qsizetype memberCount = 0;         // object members read (a fuzzer's check that none was dropped)

    // Where the value at `path` starts, or its nearest ancestor that exists.
    JsonPosition positionOf(const QString &path) const;
    JsonPosition positionAt(qsizetype offset) const;
    // "<source>: <path>: <message> (line L, column C)", the one error form.
    QString describe(const QString &source, const QString &path, const QString &message) const;
};

class StrictJson {
public:
    static constexpr int kMaxDepth = 64;
    static constexpr qsizetype kMaxBytes = 8 * 1024 * 1024;

    // `source` names the text in errors (usually its file path).
    static Result<StrictJsonDocument> parse(const QByteArray &text, const QString &source);
};

} // namespace airlock
