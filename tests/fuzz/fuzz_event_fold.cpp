// libFuzzer target for what reads stored events back: payload JSON decoding, the
// transcript fold (with interrupted-answer derivation), both exports and the
// chain verifier. A tampered database hands any bytes to these, so none may crash.
//
// Input: lines of "<kind byte><payload bytes>"; the kind byte picks a known kind
// (or an unknown name), the rest of the line is the stored payload, verbatim.

#include "core/events/ChainVerifier.h"
#include "core/events/EventChain.h"
#include "core/events/EventJson.h"
#include "core/sessions/SessionExporter.h"
#include "core/sessions/Transcript.h"

#include <cstddef>
#include <cstdint>
#include <vector>

using namespace airlock;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto kinds = allEventKinds();
    EventChain chain(QStringLiteral("fuzz"));
    std::vector<Event> events;
    for (const QByteArray &line : input.split('\n')) {
        if (line.isEmpty() || events.size() > 4096)
            continue;
        const auto pick = static_cast<std::uint8_t>(line[0]);
        Event e = chain.next(EventKind::Usage, {}, 1000 + qint64(events.size()));
        e.kind = pick < kinds.size() ? eventKindName(kinds[pick]) : QStringLiteral("future.kind");
        e.payload = line.mid(1); // as stored, not canonical: what a tampered file holds
        e.hash = e.computeHash();
        events.push_back(std::move(e));
    }
    Transcript live;
    for (const Event &e : events)
        (void)live.apply(e);
    (void)live.endOfRecord();
    Transcript whole;
    whole.applyAll(events);
    if (live.entries().size() != whole.entries().size())
        __builtin_trap(); // live and stored folds must agree
    SessionSummary s;
    s.id = QStringLiteral("fuzz");
    (void)SessionExporter::exportSession(s, events, SessionExporter::Format::Markdown);
    (void)SessionExporter::exportSession(s, events, SessionExporter::Format::Json);
    for (const Event &e : events) {
        (void)SessionExporter::describe(e);
        (void)EventJson::toLine(e);
    }
    (void)ChainVerifier::verify(events);
    return 0;
}
