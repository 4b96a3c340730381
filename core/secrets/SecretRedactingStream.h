#pragma once

// SecretRedactor over text that arrives in chunks (a live log, a streamed
// response): push() returns what can be passed on now, holding back only the bytes
// that could still be the start of a secret split across chunks (at most one
// form's length less one); flush() returns the rest at the end. Bytes in, bytes
// out: a UTF-8 character split across chunks may also be split across outputs, so
// decode the output with a QStringDecoder, as the input.
//
// A value added to the redactor while the stream runs is redacted from the bytes
// still held back onward. One stream belongs to one thread at a time; streams of
// one redactor may run on many threads.

#include "core/secrets/SecretRedactor.h"

#include <QByteArray>
#include <QByteArrayView>

#include <vector>

namespace airlock {

class SecretRedactingStream {
public:
    explicit SecretRedactingStream(const SecretRedactor &redactor);

    QByteArray push(QByteArrayView chunk);
    // Everything held back, redacted; the stream may then be used again.
    QByteArray flush();
    // How many bytes push() is holding back now.
    qsizetype heldBack() const { return qsizetype(m_position - m_emitted); }

private:
    // One run of overlapping matches, replaced as a whole.
    struct Span {
        qint64 start = 0, end = 0; // absolute byte offsets in the stream
        int label = 0;
    };
    struct Cluster {
        qint64 start = 0, end = 0;
        std::vector<Span> spans; // the longest, distinct matches in it
    };
    void refresh();
    void feed(std::uint8_t byte, QByteArray &out);
    void addMatch(qint64 start, qint64 end, int label);
    void emitUpTo(qint64 offset, QByteArray &out);
    void emitCluster(const Cluster &cluster, QByteArray &out);
    void compact();

    SecretRedactor m_redactor; // shares the original's values
    SecretRedactor::Snapshot m_snapshot;
    int m_state = 0;
    qint64 m_position = 0;           // bytes consumed
    qint64 m_emitted = 0;            // bytes passed on (or replaced)
    qint64 m_pendingBase = 0;        // the offset of m_pending's first byte
    QByteArray m_pending;            // from m_pendingBase to m_position
    QByteArray m_carry;              // output made by refresh(), returned by the next call
    std::vector<Cluster> m_clusters; // pending, in order, disjoint
};

} // namespace airlock
