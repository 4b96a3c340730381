#pragma once

// One mistake in the project file's "egress" or "bindings": where (a JSON path,
// see core/project/JsonPath.h) and what. The project reader turns each into its
// "<file>: <path>: <message> (line L, column C)" line.

#include <QString>

namespace airlock {

struct EgressProblem {
    QString path;
    QString message;
};

} // namespace airlock
