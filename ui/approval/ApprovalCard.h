#pragma once

// The approval moment: one pending call shown in full — tool and where it comes
// from, what it does in a sentence, what it touches first (path, host, command…,
// never cut), the other arguments and the diff of a write scrolling inside the
// card (the window never grows for a card), the policy rule that sent it here —
// and the decision in one keystroke: Enter approves once, Esc denies (with a
// reason that goes back to the model). "Edit arguments" opens a schema-aware
// editor (ArgumentEditor); each readable edit is announced (argumentsEdited) so
// the diff can follow it.

#include "core/agent/AgentSession.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QScrollArea;
class QStackedWidget;

namespace airlock {
class ArgumentEditor;
class DiffView;
} // namespace airlock

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
    // "Try first": the trial of this call is running, or has ended with `report`
    // (what it printed and the files it would change, with diffs; `ok` whether the
    // call succeeded in the fork). A later showCall() clears it.
    void showTrying();
    void showTrial(const QString &report, bool ok);
    QString trialText() const;

    // How long Enter is ignored after the card switched straight to another call.
    static constexpr int kArmDelayMs = 400;
    bool acceptsEnter() const;

    // Rendered arguments (public for tests and screenshots): `fields` in order;
    // `replaced` shows a note instead of a field's value (content a diff shows).
    static QString argumentsHtml(const QJsonObject &input, const QJsonObject &schema, const QStringList &fields,
                                 const QHash<QString, QString> &replaced = {});

    // Parts, for tests.
    QLabel *targetsLabel() const { return m_targets; }
    QLabel *argumentsLabel() const { return m_arguments; }
    QScrollArea *argumentsArea() const { return m_argumentsArea; }
    DiffView *diffView() const { return m_diff; }
    DiffView *trialView() const { return m_trial; }
    QPushButton *tryButton() const { return m_try; }
    ArgumentEditor *argumentEditor() const { return m_editor; }

Q_SIGNALS:
    void approved(const QString &callId, airlock::AgentSession::Scope scope);
    void approvedEdited(const QString &callId, const QJsonObject &input);
    void denied(const QString &callId, const QString &reason);
    // The editor holds readable arguments different from before (valid or not).
    void argumentsEdited(const QString &callId, const QJsonObject &input);
    // Ctrl+Shift+Enter: every waiting call, approved once.
    void approveAllRequested();
    // "Try first" pressed: run the call in a throwaway fork and show what it did.
    void tryRequested(const QString &callId);

protected:
    void keyPressEvent(QKeyEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void showMode(int index);
    static bool isEditableText(const QWidget *w);
    void showNetwork(const EgressSummary &network);
    void showFacts(const QStringList &facts);
    void startDeny();
    void startEdit();
    void layOutArguments();
    void fitArguments();

    QString m_callId;
    QElapsedTimer m_armedAfter; // valid while a replaced card waits before taking Enter
    QJsonObject m_input;
    QJsonObject m_schema;
    QString m_shellField;
    QString m_writtenField; // the field whose value is the content a diff shows
    QLabel *m_title;
    QLabel *m_badges;
    QLabel *m_kind;
    QLabel *m_targets;
    QLabel *m_arguments;
    QScrollArea *m_argumentsArea;
    QLabel *m_policy;
    QLabel *m_network;
    QLabel *m_facts;
    QLabel *m_ruleNote; // why "always" cannot be offered
    QLabel *m_error;
    QStackedWidget *m_modes; // buttons | deny reason | argument editor
    QLineEdit *m_reason;
    ArgumentEditor *m_editor;
    QScrollArea *m_editorArea;
    QPushButton *m_approve;
    QPushButton *m_session;
    QPushButton *m_project;
    QPushButton *m_runEdited;
    DiffView *m_diff;
    QPushButton *m_try;
    QLabel *m_trialNote; // what the trial was, above its report
    DiffView *m_trial;   // the trial's output and the diffs of what it would change
};

} // namespace airlock
