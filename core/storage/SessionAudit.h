#pragma once

// `sessions verify`: checks a stored session three ways and says which check
// failed, and what passing proves.
//
//  chain — every event links to its predecessor and matches its own hash
//          (ChainVerifier): no event changed, inserted, removed or reordered
//          inside the log, unless the whole chain after it was recomputed.
//  head  — the log ends exactly at the head Airlock recorded with its last
//          append (seq and hash): nothing was cut from the end, or added after it.
//  seal  — the recorded head carries an HMAC by this installation's key
//          (InstallationKey): the head itself, and so through the chain every
//          event, is as Airlock wrote it; a rewritten chain cannot be re-sealed
//          without the key, which is not in the database.

#include "core/util/Result.h"

#include <QByteArray>
#include <QString>

#include <vector>

namespace airlock {

class EventStore;

struct AuditCheck {
    enum class Outcome { Passed, Failed, NotChecked };
    QString name; // chain | head | seal
    Outcome outcome = Outcome::NotChecked;
    QString detail; // for people
};

struct AuditReport {
    QString sessionId;
    qint64 eventCount = 0;
    QByteArray headHash; // of the last event the chain check accepted
    std::vector<AuditCheck> checks;

    bool passed() const; // no check failed (a check not made is said, not failed)
    const AuditCheck *firstFailure() const;
    const AuditCheck *check(const QString &name) const;
};

class SessionAudit {
public:
    static Result<AuditReport> run(EventStore &store, const QString &sessionId);
    // What a pass proves, and what it cannot, in a few lines for people.
    static QString scope();
};

} // namespace airlock
