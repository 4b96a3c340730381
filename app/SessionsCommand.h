#pragma once

#include <QStringList>

namespace airlock {

// `airlock sessions list | show ID | export ID [--format md|json] | verify ID`
class SessionsCommand {
public:
    static int run(const QStringList &args);
    static QString usage();
};

} // namespace airlock
