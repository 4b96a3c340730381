#include "app/ChatPrinter.h"

#include "app/CliOutput.h"
#include "core/events/EventPayloads.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cstdio>

namespace airlock {
namespace {

QString oneLine(const QJsonValue &v, int max = 200)
{
    QString s = v.isString()   ? v.toString()
                : v.isObject() ? QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact))
                : v.isArray()  ? QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact))
                               : v.toVariant().toString();
    s.replace(QLatin1Char('\n'), QStringLiteral("⏎"));
    return s.size() > max ? s.left(max - 1) + QStringLiteral("…") : s;
}

} // namespace

ChatPrinter::ChatPrinter(const QString &model, PriceTable prices) : m_meter(std::move(prices))
{
    m_meter.setModel(model);
}

void ChatPrinter::print(const Event &e)
{
    if (m_meter.apply(e))
        m_turnHasUsage = true;
    switch (e.knownKind().value_or(EventKind::Error)) {
    case EventKind::ModelTextDelta: {
        const QString text = payloads::ModelTextDelta::from(e).text;
        CliOutput::out(text.toUtf8());
        std::fflush(stdout);
        m_midLine = !text.endsWith(QLatin1Char('\n'));
        return;
    }
    case EventKind::ModelToolCall: {
        const auto call = payloads::ModelToolCall::from(e);
        note(QStringLiteral("→ %1 %2").arg(call.tool, oneLine(call.input)));
        return;
    }
    case EventKind::PolicyDecision: {
        const auto decided = payloads::PolicyDecision::from(e);
        if (decided.decision != QLatin1String("ask"))
            note(QStringLiteral("  policy: %1 (rule %2)").arg(decided.decision, decided.rule));
        return;
    }
    case EventKind::ApprovalDenied: {
        const auto denied = payloads::ApprovalDenied::from(e);
        note(QStringLiteral("  denied by %1: %2").arg(denied.by, denied.reason));
        return;
    }
    case EventKind::LogLine:
        note(QStringLiteral("  │ %1").arg(payloads::LogLine::from(e).text));
        return;
    case EventKind::ExecutionFinished: {
        const auto finished = payloads::ExecutionFinished::from(e);
        note(finished.ok ? QStringLiteral("  ✓ %1").arg(oneLine(finished.result))
                         : QStringLiteral("  ✗ %1").arg(oneLine(finished.error)));
        return;
    }
    case EventKind::ModelTurnEnded:
        if (payloads::ModelTurnEnded::from(e).by == QLatin1String("user"))
            note(QStringLiteral("stopped"));
        reportTurn();
        return;
    case EventKind::ModelRetrying: {
        const auto retrying = payloads::ModelRetrying::from(e);
        note(QStringLiteral("%1 — retrying in %2 s (%3 of %4)")
                 .arg(retrying.message)
                 .arg(QString::number(double(retrying.delayMs) / 1000.0, 'f', 1))
                 .arg(retrying.attempt)
                 .arg(retrying.maxAttempts));
        return;
    }
    case EventKind::Error:
        note(QStringLiteral("error: %1").arg(payloads::Error::from(e).message));
        return;
    default:
        return;
    }
}

// The turn that just ended, as the meter has it (its last usage snapshot).
void ChatPrinter::reportTurn()
{
    if (!std::exchange(m_turnHasUsage, false))
        return;
    const auto turn = m_meter.lastTurn();
    if (!turn)
        return;
    const TokenUsage &u = turn->usage;
    QString line = QStringLiteral("  [turn: %1 in (%2 cached), %3 out")
                       .arg(u.totalInputTokens())
                       .arg(u.cacheReadInputTokens)
                       .arg(u.outputTokens);
    if (turn->costUsd)
        line += QStringLiteral(", ~$%1").arg(*turn->costUsd, 0, 'f', 4);
    note(line + QLatin1Char(']'));
}

void ChatPrinter::summary()
{
    QString line =
        QStringLiteral("session: %1 tokens in, %2 out").arg(m_meter.inputTokens()).arg(m_meter.outputTokens());
    if (m_meter.costKnown())
        line += QStringLiteral(", ~$%1").arg(m_meter.costUsd(), 0, 'f', 4);
    note(line);
}

void ChatPrinter::note(const QString &line)
{
    if (m_midLine) {
        CliOutput::out("\n");
        m_midLine = false;
    }
    std::fflush(stdout);
    CliOutput::errLine(line);
}

} // namespace airlock
