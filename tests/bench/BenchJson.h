#pragma once

// One benchmark result as a JSON line on stdout: metric, value, unit, and the
// baseline measured in the same run (what it is and its value), plus the target.

#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

inline void printBenchResult(const char *metric, double value, const char *unit, const char *baseline,
                             double baselineValue, const char *target)
{
    const QJsonObject o{{QStringLiteral("metric"), QString::fromUtf8(metric)},
                        {QStringLiteral("value"), value},
                        {QStringLiteral("unit"), QString::fromUtf8(unit)},
                        {QStringLiteral("baseline"), QString::fromUtf8(baseline)},
                        {QStringLiteral("baseline_value"), baselineValue},
                        {QStringLiteral("target"), QString::fromUtf8(target)}};
    const QByteArray line = QJsonDocument(o).toJson(QJsonDocument::Compact);
    std::printf("%s\n", line.constData());
    std::fflush(stdout);
}
