#include "core/secrets/SecretRedactingStream.h"

#include "core/secrets/SecretMatcher.h"

#include <algorithm>

namespace airlock {

SecretRedactingStream::SecretRedactingStream(const SecretRedactor &redactor)
    : m_redactor(redactor), m_snapshot(redactor.snapshot())
{
}

void SecretRedactingStream::refresh()
{
    SecretRedactor::Snapshot now = m_redactor.snapshot();
    if (now.generation == m_snapshot.generation)
        return;
    // New values: scan what is still held back again, with them. What was passed on
    // is gone; what is held back is all a match could still touch.
    m_snapshot = std::move(now);
    m_pending = m_pending.mid(m_emitted - m_pendingBase);
    m_pendingBase = m_position = m_emitted;
    m_clusters.clear();
    m_state = SecretMatcher::kRoot;
    const QByteArray held = m_pending;
    for (const char c : held)
        feed(std::uint8_t(c), m_carry);
}

void SecretRedactingStream::addMatch(qint64 start, qint64 end, int label)
{
    // The clusters this match touches are the last few (a match starts at most one
    // form's length back); merge them and the match into one.
    size_t first = m_clusters.size();
    while (first > 0 && m_clusters[first - 1].end > start)
        --first;
    Cluster merged{start, end, {}};
    for (size_t i = first; i < m_clusters.size(); ++i) {
        merged.start = std::min(merged.start, m_clusters[i].start);
        merged.end = std::max(merged.end, m_clusters[i].end);
        for (Span &s : m_clusters[i].spans)
            merged.spans.push_back(s);
    }
    m_clusters.resize(first);
    // The longest wins: drop the match when a span holds it, the spans it holds, and
    // extend a span of the same name that it overlaps (a value repeated in a row).
    bool kept = true;
    for (const Span &s : merged.spans)
        if (s.start <= start && end <= s.end)
            kept = false;
    if (kept) {
        std::erase_if(merged.spans, [&](const Span &s) { return start <= s.start && s.end <= end; });
        auto same = std::find_if(merged.spans.begin(), merged.spans.end(),
                                 [&](const Span &s) { return s.label == label && s.start < end && start < s.end; });
        if (same != merged.spans.end()) {
            same->start = std::min(same->start, start);
            same->end = std::max(same->end, end);
        } else {
            merged.spans.push_back({start, end, label});
        }
    }
    m_clusters.push_back(std::move(merged));
}

void SecretRedactingStream::emitUpTo(qint64 offset, QByteArray &out)
{
    if (offset <= m_emitted)
        return;
    out.append(m_pending.constData() + (m_emitted - m_pendingBase), offset - m_emitted);
    m_emitted = offset;
}

void SecretRedactingStream::emitCluster(const Cluster &cluster, QByteArray &out)
{
    emitUpTo(cluster.start, out);
    std::vector<Span> spans = cluster.spans;
    std::sort(spans.begin(), spans.end(), [](const Span &a, const Span &b) { return a.start < b.start; });
    int previous = -1;
    for (const Span &s : spans) {
        if (s.label != previous)
            out += m_snapshot.labels->at(s.label);
        previous = s.label;
    }
    m_emitted = cluster.end;
}

void SecretRedactingStream::feed(std::uint8_t byte, QByteArray &out)
{
    const SecretMatcher &m = *m_snapshot.matcher;
    m_state = m.next(m_state, byte);
    ++m_position;
    for (int p = m.matchAt(m_state); p >= 0; p = m.nextMatch(p)) {
        const SecretMatcher::Pattern &pattern = m.patterns().at(p);
        addMatch(m_position - pattern.bytes.size(), m_position, pattern.label);
    }
    if (m_clusters.empty())
        return;
    // No match still to come starts before `safe`: clusters ending there are whole.
    const qint64 safe = m_position - m.depth(m_state);
    size_t done = 0;
    while (done < m_clusters.size() && m_clusters[done].end <= safe)
        emitCluster(m_clusters[done++], out);
    if (done > 0)
        m_clusters.erase(m_clusters.begin(), m_clusters.begin() + qsizetype(done));
}

void SecretRedactingStream::compact()
{
    const qint64 drop = m_emitted - m_pendingBase;
    if (drop > 0) {
        m_pending.remove(0, drop);
        m_pendingBase = m_emitted;
    }
}

QByteArray SecretRedactingStream::push(QByteArrayView chunk)
{
    refresh();
    QByteArray out = std::exchange(m_carry, {});
    out.reserve(out.size() + chunk.size());
    m_pending.append(chunk);
    for (const char c : chunk)
        feed(std::uint8_t(c), out);
    qint64 safe = m_position - m_snapshot.matcher->depth(m_state);
    if (!m_clusters.empty())
        safe = std::min(safe, m_clusters.front().start);
    emitUpTo(safe, out);
    compact();
    return out;
}

QByteArray SecretRedactingStream::flush()
{
    refresh();
    QByteArray out = std::exchange(m_carry, {});
    for (const Cluster &c : m_clusters)
        emitCluster(c, out);
    m_clusters.clear();
    emitUpTo(m_position, out);
    compact();
    m_state = SecretMatcher::kRoot;
    return out;
}

} // namespace airlock
