#pragma once

// What the egress gate recorded during a test: a sink for EgressGate::create that
// keeps every record, safe from the gate's worker threads.

#include "sandbox/egress/EgressAuditRecord.h"

#include <QList>
#include <QMutex>

namespace airlock::test {

struct EgressAuditLog {
    QMutex mutex;
    QList<EgressAuditRecord> records;

    EgressAuditSink sink()
    {
        return [this](const EgressAuditRecord &r) {
            QMutexLocker lock(&mutex);
            records << r;
        };
    }
    QList<EgressAuditRecord> snapshot()
    {
        QMutexLocker lock(&mutex);
        return records;
    }
    EgressAuditRecord last()
    {
        QMutexLocker lock(&mutex);
        return records.isEmpty() ? EgressAuditRecord() : records.last();
    }
    QList<EgressAuditRecord> forCall(const QString &callId)
    {
        QList<EgressAuditRecord> out;
        for (const EgressAuditRecord &r : snapshot())
            if (r.callId == callId)
                out << r;
        return out;
    }
};

} // namespace airlock::test
