#pragma once

// The approval moment: one pending call shown in full — tool and where it comes
// from, risk badges from its annotations, every argument laid out by the tool's
// schema, the policy rule that sent it here — and the decision in one keystroke:
// Enter approves once, Esc denies (with a reason that goes back to the model).

#include "core/agent/AgentSession.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;

namespace airlock {
class DiffView;
}

namespace airlock {

class ApprovalCard final : public QWidget {
    Q_OBJECT
public:
    explicit ApprovalCard(QWidget *parent = nullptr);

    // `projectFile`: where "always for this project" writes its rule (empty: no project).
    void showCall(const PendingApproval &call, const QJsonObject &inputSchema, const QString &projectFile = {});
    void clear();
    const QString &callId() const { return m_callId; }
    // Shown under the arguments when an edit was refused.
    void showEditError(const QString &message);
    // What a file write would change, as a unified diff (shown under the arguments).
    void showDiff(const QString &unifiedDiff);
    QString diffText() const;

    // How long Enter is ignored after the card switched straight to another call.
    static constexpr int kArmDelayMs = 400;
    bool acceptsEnter() const;

    // Rendered arguments (public for tests and screenshots).
    static QString argumentsHtml(const QJsonObject &input, const QJsonObject &schema);

Q_SIGNALS:
    void approved(const QString &callId, airlock::AgentSession::Scope scope);
    void approvedEdited(const QString &callId, const QJsonObject &input);
    void denied(const QString &callId, const QString &reason);
    // Ctrl+Shift+Enter: every waiting call, approved once.
    void approveAllRequested();

protected:
    void keyPressEvent(QKeyEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void showMode(int index);
    static bool isEditableText(const QWidget *w);
    void startDeny();
    void startEdit();

    QString m_callId;
    QElapsedTimer m_armedAfter; // valid while a replaced card waits before taking Enter
    QJsonObject m_input;
    QJsonObject m_schema;
    QLabel *m_title;
    QLabel *m_badges;
    QLabel *m_arguments;
    QLabel *m_policy;
    QLabel *m_network;
    QLabel *m_error;
    QStackedWidget *m_modes; // buttons | deny reason | argument editor
    QLineEdit *m_reason;
    QPlainTextEdit *m_editor;
    QPushButton *m_approve;
    QPushButton *m_project;
    DiffView *m_diff;
};

} // namespace airlock
