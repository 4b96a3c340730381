#include "core/events/EventKind.h"

#include <array>
#include <utility>

namespace airlock {
namespace {

constexpr std::array kKinds = {
    std::pair{EventKind::SessionCreated, "session.created"},
    std::pair{EventKind::SessionRenamed, "session.renamed"},
    std::pair{EventKind::ModelChanged, "session.model_changed"},
    std::pair{EventKind::UserMessage, "user.message"},
    std::pair{EventKind::ModelTextDelta, "model.text_delta"},
    std::pair{EventKind::ModelToolCall, "model.tool_call"},
    std::pair{EventKind::ModelTurnEnded, "model.turn_ended"},
    std::pair{EventKind::ModelRetrying, "model.retrying"},
    std::pair{EventKind::PolicyDecision, "policy.decision"},
    std::pair{EventKind::ApprovalGranted, "approval.granted"},
    std::pair{EventKind::ApprovalDenied, "approval.denied"},
    std::pair{EventKind::ExecutionStarted, "exec.started"},
    std::pair{EventKind::LogLine, "exec.log"},
    std::pair{EventKind::FileChanged, "file.changed"},
    std::pair{EventKind::ExecutionFinished, "exec.finished"},
    std::pair{EventKind::Usage, "usage"},
    std::pair{EventKind::Error, "error"},
    std::pair{EventKind::Checkpoint, "workspace.checkpoint"},
    std::pair{EventKind::Undo, "session.undo"},
    std::pair{EventKind::DryRun, "exec.dry_run"},
    std::pair{EventKind::Egress, "egress.request"},
    std::pair{EventKind::Screenshot, "browser.screenshot"},
};

constexpr auto kAllKinds = [] {
    std::array<EventKind, kKinds.size()> all{};
    for (std::size_t i = 0; i < kKinds.size(); ++i)
        all[i] = kKinds[i].first;
    return all;
}();

} // namespace

QString eventKindName(EventKind kind)
{
    for (const auto &[k, name] : kKinds)
        if (k == kind)
            return QString::fromLatin1(name);
    return QStringLiteral("unknown");
}

std::optional<EventKind> eventKindFromName(QStringView name)
{
    for (const auto &[k, n] : kKinds)
        if (name == QLatin1StringView(n))
            return k;
    return std::nullopt;
}

std::span<const EventKind> allEventKinds()
{
    return kAllKinds;
}

} // namespace airlock
