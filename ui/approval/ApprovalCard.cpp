#include "ui/approval/ApprovalCard.h"

#include "ui/approval/ArgumentEditor.h"
#include "ui/approval/CallDescription.h"
#include "ui/approval/CallTargets.h"
#include "ui/files/DiffView.h"

#include "core/policy/PolicyRule.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QStackedWidget>
#include <QTextEdit>
#include <QVBoxLayout>

#include <algorithm>

namespace airlock {
namespace {

QString badge(const QString &text, const char *color)
{
    return QStringLiteral("<span style=\"background-color:%1; color:white;\">&nbsp;%2&nbsp;</span>")
        .arg(QLatin1String(color), text.toHtmlEscaped());
}

QString valueHtml(const QJsonValue &v)
{
    QString text;
    if (v.isString())
        text = v.toString();
    else if (v.isObject())
        text = QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Indented));
    else if (v.isArray())
        text = QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Indented));
    else
        text = QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
    // Full value, never truncated: what runs is what is shown.
    return QStringLiteral("<pre style=\"white-space:pre-wrap; margin:0;\">%1</pre>").arg(text.toHtmlEscaped());
}

} // namespace

ApprovalCard::ApprovalCard(QWidget *parent)
    : QWidget(parent), m_title(new QLabel(this)), m_badges(new QLabel(this)), m_kind(new QLabel(this)),
      m_targets(new QLabel(this)), m_arguments(new QLabel), m_argumentsArea(new QScrollArea(this)),
      m_policy(new QLabel(this)), m_network(new QLabel(this)), m_facts(new QLabel(this)), m_ruleNote(new QLabel(this)),
      m_error(new QLabel(this)), m_modes(new QStackedWidget(this)), m_reason(new QLineEdit(this)),
      m_editor(new ArgumentEditor), m_editorArea(new QScrollArea(this)), m_approve(new QPushButton(this)),
      m_session(new QPushButton(this)), m_project(new QPushButton(this)), m_runEdited(new QPushButton(this)),
      m_diff(new DiffView(this)), m_try(new QPushButton(this)), m_trialNote(new QLabel(this)),
      m_trial(new DiffView(this))
{
    setObjectName(QStringLiteral("approvalCard"));
    setFocusPolicy(Qt::StrongFocus);
    // A card that cannot be missed, as tall as its content and no taller; what
    // is long scrolls inside it, so the window never grows for a card.
    setAttribute(Qt::WA_StyledBackground);
    setStyleSheet(QStringLiteral("#approvalCard { border: 2px solid #ef6c00; border-radius: 6px; }"));
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    m_modes->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    const int line = fontMetrics().lineSpacing();
    m_kind->setObjectName(QStringLiteral("approvalKind"));
    m_kind->setWordWrap(true);
    // What the call touches: first, whole, wrapped anywhere (a long path has no spaces).
    m_targets->setObjectName(QStringLiteral("approvalTargets"));
    m_targets->setTextFormat(Qt::RichText);
    m_targets->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_targets->setWordWrap(true);
    m_targets->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_arguments->setObjectName(QStringLiteral("approvalArguments"));
    m_arguments->setTextFormat(Qt::RichText);
    m_arguments->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_arguments->setWordWrap(true);
    m_arguments->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_argumentsArea->setObjectName(QStringLiteral("approvalArgumentsArea"));
    m_argumentsArea->setWidget(m_arguments);
    m_argumentsArea->setWidgetResizable(true);
    m_argumentsArea->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_argumentsArea->setFrameShape(QFrame::NoFrame);
    m_argumentsArea->setMaximumHeight(line * 8);
    m_argumentsArea->setMinimumHeight(line + 4);
    m_argumentsArea->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    m_policy->setWordWrap(true);
    // The hosts a call may reach through the egress gate and the credential names
    // the gate would add (values are never shown, nor read for this): showCall.
    m_network->setObjectName(QStringLiteral("approvalNetwork"));
    m_network->setWordWrap(true);
    // What the call would do beyond its input, as its tool tells (sender, sizes):
    // right under what it touches, where a person reads first.
    m_facts->setObjectName(QStringLiteral("approvalFacts"));
    m_facts->setWordWrap(true);
    m_facts->setTextFormat(Qt::RichText);
    m_facts->hide();
    m_ruleNote->setObjectName(QStringLiteral("approvalRuleNote"));
    m_ruleNote->setWordWrap(true);
    m_ruleNote->hide();
    m_diff->setObjectName(QStringLiteral("approvalDiff"));
    // A useful height when there is room (about 14 lines), a few lines when not; it scrolls.
    m_diff->setPreferredLines(14);
    m_diff->setLineWrapMode(QPlainTextEdit::WidgetWidth); // long lines whole, no scroll bar eating a line
    m_diff->setMinimumHeight(line * 4);
    m_diff->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    m_diff->hide();
    m_trialNote->setObjectName(QStringLiteral("approvalTrialNote"));
    m_trialNote->setWordWrap(true);
    m_trialNote->hide();
    m_trial->setObjectName(QStringLiteral("approvalTrial"));
    m_trial->setPreferredLines(12);
    m_trial->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_trial->setMinimumHeight(line * 4);
    m_trial->hide();
    m_error->setObjectName(QStringLiteral("approvalError"));
    m_error->setStyleSheet(QStringLiteral("color:#c62828;"));
    m_error->setWordWrap(true);
    m_error->hide();

    // Buttons.
    auto *buttons = new QWidget(this); // owned by the stack below
    auto *row = new QHBoxLayout(buttons);
    row->setContentsMargins(0, 0, 0, 0);
    m_approve->setObjectName(QStringLiteral("approveOnce"));
    m_approve->setText(tr("Approve once (Enter)"));
    m_approve->setDefault(true);
    m_session->setText(tr("Always for this session"));
    m_session->setObjectName(QStringLiteral("approveSession"));
    m_project->setText(tr("Always for this project"));
    m_project->setObjectName(QStringLiteral("approveProject"));
    auto *edit = new QPushButton(tr("Edit arguments…"), buttons);
    edit->setObjectName(QStringLiteral("editArguments"));
    auto *deny = new QPushButton(tr("Deny (Esc)"), buttons);
    deny->setObjectName(QStringLiteral("deny"));
    m_try->setObjectName(QStringLiteral("tryFirst"));
    m_try->setText(tr("Try first"));
    m_try->setToolTip(tr("Runs this call in a throwaway copy of the sandbox and the workspace, and shows what it "
                         "printed and which files it would change. Nothing it does is kept; the call still waits "
                         "for your decision."));
    row->addWidget(m_approve);
    row->addWidget(m_session);
    row->addWidget(m_project);
    row->addWidget(edit);
    row->addWidget(m_try);
    row->addStretch(1);
    row->addWidget(deny);
    connect(m_approve, &QPushButton::clicked, this, [this] { Q_EMIT approved(m_callId, AgentSession::Scope::Once); });
    connect(m_session, &QPushButton::clicked, this,
            [this] { Q_EMIT approved(m_callId, AgentSession::Scope::Session); });
    connect(m_project, &QPushButton::clicked, this,
            [this] { Q_EMIT approved(m_callId, AgentSession::Scope::Project); });
    connect(edit, &QPushButton::clicked, this, &ApprovalCard::startEdit);
    connect(m_try, &QPushButton::clicked, this, [this] { Q_EMIT tryRequested(m_callId); });
    connect(deny, &QPushButton::clicked, this, &ApprovalCard::startDeny);

    // Deny with a reason.
    auto *denyRow = new QWidget(this);
    auto *denyLayout = new QHBoxLayout(denyRow);
    denyLayout->setContentsMargins(0, 0, 0, 0);
    m_reason->setObjectName(QStringLiteral("denyReason"));
    m_reason->setPlaceholderText(tr("Why not? (sent to the model; Enter denies)"));
    denyLayout->addWidget(m_reason, 1);
    // Enter in the reason is taken here, not left to reach the card: by then the
    // card may show the next call, and an Enter there would approve it.
    m_reason->installEventFilter(this);

    // Edit the arguments field by field; the agent validates them again on approval.
    auto *editRow = new QWidget(this);
    auto *editLayout = new QVBoxLayout(editRow);
    editLayout->setContentsMargins(0, 0, 0, 0);
    m_editorArea->setObjectName(QStringLiteral("argumentEditorArea"));
    m_editorArea->setWidget(m_editor);
    m_editorArea->setWidgetResizable(true);
    m_editorArea->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_editorArea->setMaximumHeight(line * 16);
    m_editorArea->setMinimumHeight(line * 5);
    m_runEdited->setText(tr("Approve with these arguments"));
    m_runEdited->setObjectName(QStringLiteral("approveEdited"));
    editLayout->addWidget(m_editorArea);
    editLayout->addWidget(m_runEdited, 0, Qt::AlignRight);
    connect(m_editor, &ArgumentEditor::validityChanged, this, [this](bool valid) {
        m_runEdited->setEnabled(valid);
        m_runEdited->setToolTip(valid ? QString() : m_editor->problems());
    });
    connect(m_editor, &ArgumentEditor::edited, this, [this](const QJsonObject &input) {
        m_runEdited->setToolTip(m_editor->isValid() ? QString() : m_editor->problems());
        if (m_modes->currentIndex() == 2)
            Q_EMIT argumentsEdited(m_callId, input);
    });
    connect(m_runEdited, &QPushButton::clicked, this, [this] {
        const std::optional<QJsonObject> input = m_editor->input();
        if (!input || !m_editor->isValid()) {
            showEditError(m_editor->problems());
            return;
        }
        Q_EMIT approvedEdited(m_callId, *input);
    });

    m_modes->addWidget(buttons);
    m_modes->addWidget(denyRow);
    m_modes->addWidget(editRow);

    auto *layout = new QVBoxLayout(this);
    // Lines are few at 1280×800: what it is and what it does share the first,
    // why it is asked and where it may reach share one under the diff.
    auto *header = new QHBoxLayout;
    header->addWidget(m_title);
    header->addWidget(m_kind, 1);
    header->addWidget(m_badges);
    layout->addLayout(header);
    layout->addWidget(m_targets);
    layout->addWidget(m_facts);
    layout->addWidget(m_argumentsArea);
    layout->addWidget(m_diff);
    layout->addWidget(m_trialNote);
    layout->addWidget(m_trial);
    auto *why = new QHBoxLayout;
    why->addWidget(m_policy, 3); // the reason gets the room; the network note is short
    why->addWidget(m_network, 1);
    layout->addLayout(why);
    layout->addWidget(m_error);
    layout->addWidget(m_modes);
    layout->addWidget(m_ruleNote);
    hide();
}

QString ApprovalCard::argumentsHtml(const QJsonObject &input, const QJsonObject &schema, const QStringList &fields,
                                    const QHash<QString, QString> &replaced)
{
    const QJsonObject props = schema.value(QLatin1String("properties")).toObject();
    QString html = QStringLiteral("<table cellspacing=\"4\">");
    for (const QString &key : fields) {
        if (!input.contains(key))
            continue;
        const QString description = props.value(key).toObject().value(QLatin1String("description")).toString();
        const QString value =
            replaced.contains(key)
                ? QStringLiteral("<i style=\"color:gray;\">%1</i>").arg(replaced.value(key).toHtmlEscaped())
                : valueHtml(input.value(key));
        html +=
            QStringLiteral("<tr><td valign=\"top\"><b>%1</b>%2</td><td>%3</td></tr>")
                .arg(key.toHtmlEscaped(),
                     description.isEmpty()
                         ? QString()
                         : QStringLiteral("<br><span style=\"color:gray;\">%1</span>").arg(description.toHtmlEscaped()),
                     value);
    }
    if (input.isEmpty())
        html += QStringLiteral("<tr><td><i>no arguments</i></td></tr>");
    return html + QStringLiteral("</table>");
}

void ApprovalCard::layOutArguments()
{
    const QJsonObject props = m_schema.value(QLatin1String("properties")).toObject();
    QStringList targets, others;
    int targetChars = 0;
    for (const QString &key : CallTargets::orderedFields(m_input, m_schema, m_shellField)) {
        if (CallTargets::isTarget(key, props.value(key).toObject(), m_shellField)) {
            targets << key;
            targetChars += int(QJsonDocument(QJsonArray{m_input.value(key)}).toJson().size());
        } else {
            others << key;
        }
    }
    // A target a few lines long stays above, never cut; a very long one (a script
    // as a command) heads the scrolled part instead of pushing the window.
    const bool targetsFit = targetChars <= 600;
    if (!targetsFit) {
        others = targets + others;
        targets.clear();
    }
    QHash<QString, QString> replaced;
    if (!m_writtenField.isEmpty() && m_diff->isVisible()) {
        const QString content = m_input.value(m_writtenField).toString();
        replaced.insert(m_writtenField,
                        tr("%n line(s), %1 bytes: see the change below", nullptr, int(content.count(u'\n') + 1))
                            .arg(content.toUtf8().size()));
    }
    m_targets->setText(targets.isEmpty() ? QString() : argumentsHtml(m_input, m_schema, targets));
    m_targets->setVisible(!targets.isEmpty());
    m_targets->setMinimumHeight(0);
    if (!targets.isEmpty() && m_targets->width() > 0)
        m_targets->setMinimumHeight(m_targets->heightForWidth(m_targets->width()));
    m_arguments->setText(argumentsHtml(m_input, m_schema, others, replaced));
    m_argumentsArea->setVisible(!others.isEmpty() || m_input.isEmpty());
    fitArguments();
    updateGeometry();
}

void ApprovalCard::showCall(const PendingApproval &call, const QJsonObject &inputSchema, const QString &projectFile)
{
    // The project rule is shown before it is written: exactly this call, allowed.
    m_project->setVisible(!projectFile.isEmpty());
    if (!projectFile.isEmpty()) {
        const PolicyCall pc{call.callId, call.tool, call.input, call.annotations, QString(), false};
        const QJsonObject rule = PolicyRule::alwaysAllow(pc, QStringLiteral("project"),
                                                         QStringLiteral("always-this-project:%1").arg(call.tool))
                                     .toJson();
        m_project->setToolTip(
            tr("Adds this rule to %1:\n%2")
                .arg(projectFile, QString::fromUtf8(QJsonDocument(rule).toJson(QJsonDocument::Indented))));
    }
    m_session->setToolTip(tr("Allows exactly this call again, without asking, until the session ends"));
    // A rule the policy would never apply is not offered: it would only ask again.
    const bool canRemember = call.sessionRuleUnavailable.isEmpty();
    m_session->setEnabled(canRemember);
    m_project->setEnabled(canRemember);
    if (!canRemember) {
        const QString why = tr("Can't remember this: %1. The same call will be asked again; approve it once, or add "
                               "a policy rule for it.")
                                .arg(call.sessionRuleUnavailable);
        m_session->setToolTip(why);
        m_project->setToolTip(why);
        m_ruleNote->setText(QStringLiteral("<span style=\"color:gray;\">%1</span>").arg(why.toHtmlEscaped()));
    }
    m_ruleNote->setVisible(!canRemember);
    m_callId = call.callId;
    m_input = call.input;
    m_schema = inputSchema;
    m_shellField = call.shellField;
    // The field a write's diff shows (content a tool writes as it is given).
    m_writtenField.clear();
    if (call.write)
        for (auto it = call.input.begin(); it != call.input.end(); ++it)
            if (it.value().isString() && it.value().toString().toUtf8() == call.write->content)
                m_writtenField = it.key();
    m_title->setText(tr("<b>%1</b> wants to run &nbsp;<span style=\"color:gray;\">%2</span>")
                         .arg(call.tool.toHtmlEscaped(), call.source.toHtmlEscaped()));
    QStringList badges;
    if (call.annotations.readOnly)
        badges << badge(tr("read-only"), "#2e7d32");
    if (CallDescription::isDestructive(call.annotations))
        badges << badge(tr("destructive"), "#c62828");
    m_badges->setText(badges.join(QLatin1Char(' ')));
    m_badges->setToolTip(CallDescription::isDestructive(call.annotations)
                             ? tr("The tool says it can delete or overwrite things")
                             : QString());
    m_kind->setText(CallDescription::sentence(call, inputSchema));
    showNetwork(call.network);
    showFacts(call.facts);
    m_policy->setText(tr("<span style=\"color:gray;\">Asked because of policy rule <b>%1</b>%2</span>")
                          .arg(call.decision.rule.toHtmlEscaped(),
                               call.decision.reason.isEmpty()
                                   ? QString()
                                   : QStringLiteral(": ") + call.decision.reason.toHtmlEscaped()));
    m_error->hide();
    m_diff->hide();
    m_trialNote->hide();
    m_trial->hide();
    m_try->setVisible(call.canTry);
    m_try->setEnabled(true);
    m_try->setText(tr("Try first"));
    layOutArguments();
    m_reason->clear();
    showMode(0);
    // A card that replaces another right away (the next call of a batch) ignores
    // Enter for a moment: a double press or a held key must not approve a call
    // nobody has read.
    if (isVisible())
        m_armedAfter.start();
    else
        m_armedAfter.invalidate();
    show();
    // The keyboard comes here, unless the person is typing somewhere else: an Enter
    // meant for that field must not approve.
    QWidget *focus = QApplication::focusWidget();
    const bool typingElsewhere = focus && !isAncestorOf(focus) && isEditableText(focus);
    if (!typingElsewhere)
        setFocus();
}

void ApprovalCard::showFacts(const QStringList &facts)
{
    QStringList lines;
    for (const QString &fact : facts) {
        // "Label: value": the label quiet, the value as the tool gave it.
        const qsizetype colon = fact.indexOf(QStringLiteral(": "));
        lines << (colon > 0 ? QStringLiteral("<span style=\"color:gray;\">%1:</span> %2")
                                  .arg(fact.left(colon).toHtmlEscaped(), fact.mid(colon + 2).toHtmlEscaped())
                            : fact.toHtmlEscaped());
    }
    m_facts->setText(lines.join(QStringLiteral("<br>")));
    m_facts->setVisible(!lines.isEmpty());
}

void ApprovalCard::showNetwork(const EgressSummary &network)
{
    if (network.isEmpty()) {
        m_network->setText(tr("<span style=\"color:gray;\">Network: none, no credentials.</span>"));
        m_network->setToolTip(tr("No egress rule or service binding allows this tool's sandbox to reach any host; "
                                 "every request it tried would be refused and logged in the Egress tab."));
        return;
    }
    QString html = tr("<span style=\"color:gray;\">Network: may reach %1</span>")
                       .arg(network.reach.join(QStringLiteral(", ")).toHtmlEscaped());
    if (!network.credentials.isEmpty())
        html += tr("<br><span style=\"color:#ef6c00;\">Adds credentials: <b>%1</b></span>")
                    .arg(network.credentials.join(QStringLiteral(", ")).toHtmlEscaped());
    m_network->setText(html);
    m_network->setToolTip(tr("Requests leave only through the egress gate, which allows what the project's "
                             "\"egress\" rules and \"bindings\" name and adds the named credentials itself: the "
                             "tool never sees their values. Every request is listed in the Egress tab."));
}

bool ApprovalCard::isEditableText(const QWidget *w)
{
    if (const auto *line = qobject_cast<const QLineEdit *>(w))
        return !line->isReadOnly();
    if (const auto *text = qobject_cast<const QPlainTextEdit *>(w))
        return !text->isReadOnly();
    if (const auto *rich = qobject_cast<const QTextEdit *>(w))
        return !rich->isReadOnly();
    return false;
}

bool ApprovalCard::acceptsEnter() const
{
    return !m_armedAfter.isValid() || m_armedAfter.elapsed() >= kArmDelayMs;
}

void ApprovalCard::clear()
{
    m_callId.clear();
    hide();
}

void ApprovalCard::showEditError(const QString &message)
{
    m_error->setText(message);
    m_error->show();
}

void ApprovalCard::showDiff(const QString &unifiedDiff)
{
    const bool wasShown = m_diff->isVisible();
    m_diff->setDiff(unifiedDiff.isEmpty() ? tr("(the file would not change)") : unifiedDiff);
    m_diff->show();
    if (!wasShown)
        layOutArguments(); // the content is shown once: in the diff
    updateGeometry();
}

QString ApprovalCard::diffText() const
{
    return m_diff->isVisible() ? m_diff->diff() : QString();
}

void ApprovalCard::showTrying()
{
    m_try->setEnabled(false);
    m_try->setText(tr("Trying…"));
    m_trialNote->setText(tr("<span style=\"color:gray;\">Trying the call in a throwaway fork…</span>"));
    m_trialNote->show();
    updateGeometry();
}

void ApprovalCard::showTrial(const QString &report, bool ok)
{
    m_try->setEnabled(true);
    m_try->setText(tr("Try again"));
    m_trialNote->setText(
        (ok ? tr("<b>Tried first</b> in a throwaway fork: it succeeded. Nothing it did was kept.")
            : tr("<b>Tried first</b> in a throwaway fork: <span style=\"color:#c62828;\">it failed</span>. Nothing it "
                 "did was kept.")));
    m_trialNote->show();
    m_trial->setDiff(report);
    m_trial->show();
    updateGeometry();
}

QString ApprovalCard::trialText() const
{
    return m_trial->isVisible() ? m_trial->diff() : QString();
}

void ApprovalCard::startDeny()
{
    layOutArguments(); // back from the editor: what is denied is shown
    showMode(1);
    m_reason->setFocus();
}

void ApprovalCard::startEdit()
{
    // The editor shows every argument: the read-only copy above gives it the room.
    m_targets->hide();
    m_argumentsArea->hide();
    m_editor->setCall(m_input, m_schema, m_shellField);
    m_runEdited->setEnabled(m_editor->isValid());
    m_runEdited->setToolTip(m_editor->isValid() ? QString() : m_editor->problems());
    showMode(2);
    m_editor->focusFirstField();
}

void ApprovalCard::showMode(int index)
{
    // A stack is as tall as its tallest page: only the page shown may count.
    for (int i = 0; i < m_modes->count(); ++i)
        m_modes->widget(i)->setSizePolicy(QSizePolicy::Preferred,
                                          i == index ? QSizePolicy::Preferred : QSizePolicy::Ignored);
    m_modes->setCurrentIndex(index);
    m_modes->adjustSize();
    updateGeometry();
}

bool ApprovalCard::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_reason && event->type() == QEvent::KeyPress) {
        const int key = static_cast<QKeyEvent *>(event)->key();
        if (key == Qt::Key_Return || key == Qt::Key_Enter) {
            Q_EMIT denied(m_callId, m_reason->text().trimmed());
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

// The scrolled arguments take the height of their text up to eight lines, no more:
// a short note must not hold the room the diff needs.
void ApprovalCard::fitArguments()
{
    const int width = m_argumentsArea->viewport()->width();
    if (width <= 0)
        return;
    const int wanted = m_arguments->heightForWidth(width) + 2 * m_argumentsArea->frameWidth();
    m_argumentsArea->setMaximumHeight(
        std::clamp(wanted, fontMetrics().lineSpacing() + 4, fontMetrics().lineSpacing() * 8));
}

void ApprovalCard::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    fitArguments();
    // What a call touches is never cut: its label is as tall as its wrapped text
    // at the width it has (the card's own size hint does not know that width).
    if (m_targets->isVisible()) {
        const int needed = m_targets->heightForWidth(m_targets->width());
        if (needed > 0 && needed != m_targets->minimumHeight())
            m_targets->setMinimumHeight(needed);
    }
}

void ApprovalCard::keyPressEvent(QKeyEvent *event)
{
    const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
    if (enter && m_modes->currentIndex() == 0 && (event->isAutoRepeat() || !acceptsEnter())) {
        event->accept(); // a held key or a second press meant for the previous card
        return;
    }
    if (m_modes->currentIndex() == 0 && enter &&
        event->modifiers().testFlags(Qt::ControlModifier | Qt::ShiftModifier)) {
        Q_EMIT approveAllRequested();
        return;
    }
    if (m_modes->currentIndex() == 0 && enter) {
        Q_EMIT approved(m_callId, AgentSession::Scope::Once);
        return;
    }
    if (event->key() == Qt::Key_Escape) {
        if (m_modes->currentIndex() == 1)
            Q_EMIT denied(m_callId, m_reason->text().trimmed());
        else
            startDeny();
        return;
    }
    QWidget::keyPressEvent(event);
}

} // namespace airlock
