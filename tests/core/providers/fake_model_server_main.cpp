// Serves recorded streams through FakeModelServer, for checking its framing with
// the official SDKs by hand (tests/core/providers/sdk-check.mjs):
//   fake_model_server FILE.sse... : one scripted answer per file, in order, cut
//   into awkward chunks. Prints the port, serves until stdin closes.
// A response file named "<status>.json" is sent as that HTTP error instead.

#include "tests/core/providers/FakeModelServer.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>

#include <cstdio>
#include <iostream>
#include <string>

using namespace airlock::test;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    FakeModelServer server;
    for (int i = 1; i < argc; ++i) {
        QFile file(QString::fromLocal8Bit(argv[i]));
        if (!file.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "cannot read %s\n", argv[i]);
            return 2;
        }
        const QByteArray body = file.readAll();
        const QString name = QFileInfo(file).fileName();
        bool isStatus = false;
        const int status = name.section(u'.', 0, 0).toInt(&isStatus);
        if (isStatus)
            server.enqueue(FakeResponse::error(status, body, {{"retry-after", "0"}}));
        else
            server.enqueue(FakeResponse::sse(body));
    }
    std::printf("%u\n", unsigned(server.port()));
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    for (const ReceivedRequest &r : server.requests()) {
        std::fprintf(stderr, "%s %s", r.method.constData(), r.path.constData());
        for (auto it = r.headers.begin(); it != r.headers.end(); ++it) {
            if (it.key() == "x-api-key" || it.key() == "authorization" || it.key() == "anthropic-version" ||
                it.key() == "content-type")
                std::fprintf(stderr, " | %s: %s", it.key().constData(), it.value().constData());
        }
        std::fprintf(stderr, "\n");
    }
    return 0;
}
