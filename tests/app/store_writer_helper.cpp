// A session writer for tst_store_concurrency: appends a long conversation through
// AsyncEventWriter, as the window's agent does, and between batches opens and
// closes extra connections to the same file, as the window's sidebar and
// transcript do. After each committed batch it prints "committed <seq>".
//
// usage: store_writer_helper SESSION_ID   (database: EventStore::defaultPath())

#include "core/events/EventChain.h"
#include "core/storage/AsyncEventWriter.h"
#include "core/storage/EventStore.h"

#include <QCoreApplication>

#include <cstdio>
#include <thread>

using namespace airlock;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: store_writer_helper SESSION_ID\n");
        return 2;
    }
    const QString path = EventStore::defaultPath();
    auto writer = AsyncEventWriter::open(path);
    if (!writer) {
        std::fprintf(stderr, "%s\n", qPrintable(writer.error().message));
        return 1;
    }
    EventChain chain(QString::fromLatin1(argv[1]));
    (*writer)->submit(chain.next(EventKind::SessionCreated, {{QStringLiteral("title"), QStringLiteral("soak")}}));
    for (int turn = 0;; ++turn) {
        (*writer)->submit(chain.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("go on")}}));
        for (int i = 0; i < 40; ++i)
            (*writer)->submit(
                chain.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), QString(60, QLatin1Char('a' + i % 26))},
                                                       {QStringLiteral("turn"), turn}}));
        (*writer)->submit(
            chain.next(EventKind::ModelTurnEnded,
                       {{QStringLiteral("stop_reason"), QStringLiteral("end_turn")}, {QStringLiteral("turn"), turn}}));
        if (Status s = (*writer)->flush(); !s) {
            std::fprintf(stderr, "%s\n", qPrintable(s.error().message));
            return 1;
        }
        std::printf("committed %lld\n", static_cast<long long>(chain.lastSeq()));
        std::fflush(stdout);
        // The sidebar reloading its list: another connection, opened and closed.
        auto reader = EventStore::open(path);
        if (!reader) {
            std::fprintf(stderr, "%s\n", qPrintable(reader.error().message));
            return 1;
        }
        if (auto listed = (*reader)->sessions(); !listed) {
            std::fprintf(stderr, "%s\n", qPrintable(listed.error().message));
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5)); // share the machine
    }
}
