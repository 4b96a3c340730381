#include "core/storage/SessionAudit.h"

#include "core/events/ChainVerifier.h"
#include "core/storage/EventStore.h"
#include "core/storage/InstallationKey.h"

namespace airlock {

bool AuditReport::passed() const
{
    return firstFailure() == nullptr;
}

const AuditCheck *AuditReport::firstFailure() const
{
    for (const AuditCheck &c : checks)
        if (c.outcome == AuditCheck::Outcome::Failed)
            return &c;
    return nullptr;
}

const AuditCheck *AuditReport::check(const QString &name) const
{
    for (const AuditCheck &c : checks)
        if (c.name == name)
            return &c;
    return nullptr;
}

Result<AuditReport> SessionAudit::run(EventStore &store, const QString &sessionId)
{
    AuditReport report;
    report.sessionId = sessionId;
    // The head and the events from one snapshot: a writer appending meanwhile must
    // not make the log look longer than its head.
    EventStore::RecordedHead recordedHead;
    ChainVerifier verifier;
    qint64 lastSeq = 0;
    QByteArray lastHash;
    Status s = store.readConsistently([&]() -> Status {
        auto read = store.recordedHead(sessionId);
        if (!read)
            return read.error();
        recordedHead = *read;
        return store.forEachEvent(sessionId, [&](const Event &e) {
            verifier.add(e);
            lastSeq = e.seq;
            lastHash = e.hash;
            return true;
        });
    });
    if (!s)
        return s.error();
    const EventStore::RecordedHead *recorded = &recordedHead;
    const ChainReport chain = verifier.report();
    report.eventCount = chain.eventCount;
    report.headHash = chain.headHash;

    using O = AuditCheck::Outcome;
    report.checks.push_back(
        chain.intact
            ? AuditCheck{QStringLiteral("chain"), O::Passed,
                         QStringLiteral("%1 events, each linked to the one before and matching its hash")
                             .arg(chain.eventCount)}
            : AuditCheck{QStringLiteral("chain"), O::Failed,
                         QStringLiteral("chain broken at event %1: %2").arg(chain.brokenSeq).arg(chain.reason)});

    const qint64 head = recorded->lastSeq;
    AuditCheck headCheck{QStringLiteral("head"), O::Passed,
                         QStringLiteral("the log ends at the head Airlock recorded (event %1)").arg(head)};
    if (lastSeq < head) {
        headCheck.outcome = O::Failed;
        headCheck.detail =
            lastSeq == 0
                ? QStringLiteral("the log is empty but Airlock recorded %1 events: all of them were removed").arg(head)
                : QStringLiteral(
                      "the log ends at event %1 but Airlock recorded its head at event %2: events %3–%2 were "
                      "removed (the session was cut short)")
                      .arg(lastSeq)
                      .arg(head)
                      .arg(lastSeq + 1);
    } else if (lastSeq > head) {
        headCheck.outcome = O::Failed;
        headCheck.detail = QStringLiteral("the log goes on past the head Airlock recorded (event %1) to event %2: "
                                          "events were added outside Airlock")
                               .arg(head)
                               .arg(lastSeq);
    } else if (lastHash != recorded->hash) {
        headCheck.outcome = O::Failed;
        headCheck.detail = QStringLiteral("event %1 is not the one Airlock recorded as the head (its hash differs): "
                                          "the log was rewritten")
                               .arg(head);
    }
    report.checks.push_back(headCheck);

    AuditCheck seal{QStringLiteral("seal"), O::NotChecked, {}};
    const QByteArray &key = store.installationKey();
    if (key.isEmpty()) {
        seal.detail = QStringLiteral("not checked: %1. Without the key only the chain and head checks apply, and "
                                     "anyone who can write the database can recompute those")
                          .arg(store.keyProblem());
    } else if (recorded->seal.isEmpty()) {
        seal.outcome = O::Failed;
        seal.detail = QStringLiteral("the recorded head carries no seal: it was written without the installation key "
                                     "(%1), or its seal was removed; a rewrite cannot be ruled out")
                          .arg(store.keyPath());
    } else if (recorded->seal != InstallationKey::sealHead(key, sessionId, recorded->lastSeq, recorded->hash)) {
        seal.outcome = O::Failed;
        seal.detail = QStringLiteral("the recorded head (event %1) does not carry this installation's seal: the head "
                                     "was changed outside Airlock, or written by another installation (key %2)")
                          .arg(recorded->lastSeq)
                          .arg(store.keyPath());
    } else {
        seal.outcome = O::Passed;
        seal.detail =
            QStringLiteral("the recorded head is sealed by this installation's key (%1)").arg(store.keyPath());
    }
    report.checks.push_back(seal);
    return report;
}

QString SessionAudit::scope()
{
    return QStringLiteral(
        "A pass proves: since Airlock last appended to this session, none of its events was changed, removed, "
        "inserted, reordered or cut from the end - unless whoever did it could also read the installation key.\n"
        "It does not prove: that a whole session was not deleted, that the database was not replaced by an older "
        "copy of itself, or that the events are true (they are what this Airlock recorded). Without the key file "
        "(another machine, key removed), it proves only that the log is self-consistent.");
}

} // namespace airlock
