#pragma once

// One thing that happened in a session: the unit of the append-only event log.
//
// Events are chained: `hash` = SHA-256(prevHash || canonicalBytes()), and the first
// event of a session has a prevHash of 32 zero bytes. Changing any stored field of
// any event, or removing or reordering events, breaks the chain from that point on
// (see ChainVerifier).

#include "core/events/EventKind.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace airlock {

struct Event {
    static constexpr int kHashSize = 32;

    QString sessionId;
    qint64 seq = 0;      // 1-based position in the session
    qint64 timeMs = 0;   // UTC milliseconds since the epoch
    QString kind;        // wire name (see EventKind); kept as text so newer kinds survive
    QByteArray payload;  // canonical JSON object (compact, keys sorted), stored verbatim
    QByteArray prevHash; // hash of event seq-1, or 32 zero bytes for seq 1
    QByteArray hash;     // SHA-256(prevHash || canonicalBytes())

    std::optional<EventKind> knownKind() const { return eventKindFromName(kind); }
    QJsonObject payloadObject() const;

    // The bytes the hash covers besides prevHash: a versioned, NUL-separated record
    // of every stored field. Session ids and kind names never contain NUL.
    QByteArray canonicalBytes() const;
    QByteArray computeHash() const;

    static QByteArray canonicalPayload(const QJsonObject &payload);
    static QByteArray zeroHash() { return QByteArray(kHashSize, '\0'); }
};

} // namespace airlock
