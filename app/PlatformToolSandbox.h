#pragma once

// The platform's built-in tools, for any model and with no JavaScript: host_file
// uploads a workspace file (or given text) to a bucket binding and returns its
// URL; send_email sends a message through an email binding, with workspace files
// attached. Both run on the host and reach out only through the session's egress
// gate (R2Bucket, MailSender), which signs or logs in and records every request;
// neither writes anything into the workspace. Part of the composition root.

#include "core/sandbox/Sandbox.h"
#include "sandbox/egress/EgressGate.h"

#include <QHash>
#include <QJsonArray>
#include <QStringList>

#include <atomic>
#include <memory>
#include <mutex>

namespace airlock {

class PlatformToolSandbox final : public Sandbox {
public:
    static inline const QString kHostFile = QStringLiteral("host_file");
    static inline const QString kSendEmail = QStringLiteral("send_email");
    // Files a call may upload or attach, at most.
    static constexpr qint64 kMaxUploadBytes = 64 << 20;

    PlatformToolSandbox(std::shared_ptr<const EgressGate> gate, QString workspaceDir);

    // host_file when the policy has a bucket binding, send_email when it has an
    // email binding; their schemas name the bindings there are.
    static QJsonArray toolDescriptions(const EgressPolicy &policy);
    // What the approval card shows for a call beyond its input: the bucket behind
    // the binding, the key, size and type and the URL it will have; the sender,
    // every recipient, each attachment with its size.
    static QStringList describeCall(const EgressPolicy &policy, const QString &workspaceDir, const QString &tool,
                                    const QJsonObject &input);
    // Sending mail is allowed only by a rule that names the tool.
    static bool allowsOnlyByName(const QString &tool) { return tool == kSendEmail; }

    QString kind() const override { return QStringLiteral("host"); }
    Status prepare(const LogSink &log = {}) override;
    Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &log) override;
    void cancel(const QString &callId) override;
    void dispose() override {}

    // A workspace file named by a tool's input: relative, inside the workspace
    // once links are resolved, a regular file of at most kMaxUploadBytes.
    static Result<QString> workspaceFile(const QString &workspaceDir, const QString &path);

private:
    using CancelFlag = std::shared_ptr<std::atomic<bool>>;
    Result<QJsonObject> hostFile(const SandboxCall &call, const CancelFlag &cancelled) const;
    Result<QJsonObject> sendEmail(const SandboxCall &call, const CancelFlag &cancelled) const;
    // The call's flag (made on first use: a cancel may come before the call starts).
    CancelFlag flagFor(const QString &callId);

    std::shared_ptr<const EgressGate> m_gate;
    QString m_workspaceDir;
    std::mutex m_mutex;
    QHash<QString, CancelFlag> m_flags; // under m_mutex: calls running or cancelled before they ran
};

} // namespace airlock
