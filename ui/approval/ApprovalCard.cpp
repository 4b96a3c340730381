#include "ui/approval/ApprovalCard.h"

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
#include <QStackedWidget>
#include <QTextEdit>
#include <QVBoxLayout>

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
    : QWidget(parent), m_title(new QLabel(this)), m_badges(new QLabel(this)), m_arguments(new QLabel(this)),
      m_policy(new QLabel(this)), m_network(new QLabel(this)), m_error(new QLabel(this)),
      m_modes(new QStackedWidget(this)), m_reason(new QLineEdit(this)), m_editor(new QPlainTextEdit(this)),
      m_approve(new QPushButton(this)), m_project(new QPushButton(this)), m_diff(new DiffView(this))
{
    setObjectName(QStringLiteral("approvalCard"));
    setFocusPolicy(Qt::StrongFocus);
    // A card that cannot be missed, as tall as its content and no taller.
    setAttribute(Qt::WA_StyledBackground);
    setStyleSheet(QStringLiteral("#approvalCard { border: 2px solid #ef6c00; border-radius: 6px; }"));
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    m_modes->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    m_editor->setMaximumHeight(fontMetrics().lineSpacing() * 10);
    m_arguments->setObjectName(QStringLiteral("approvalArguments"));
    m_arguments->setTextFormat(Qt::RichText);
    m_arguments->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_arguments->setWordWrap(true);
    m_policy->setWordWrap(true);
    // Where egress will list the hosts a call may reach and the credentials it
    // would get; until then the true answer is "none".
    m_network->setObjectName(QStringLiteral("approvalNetwork"));
    m_network->setWordWrap(true);
    m_network->setText(tr("<span style=\"color:gray;\">Network: none. Sandboxes in this build cannot reach any "
                          "host, and no credentials are injected.</span>"));
    m_diff->setObjectName(QStringLiteral("approvalDiff"));
    m_diff->setMaximumHeight(fontMetrics().lineSpacing() * 14);
    m_diff->hide();
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
    auto *always = new QPushButton(tr("Always for this session"), buttons);
    always->setObjectName(QStringLiteral("approveSession"));
    m_project->setText(tr("Always for this project"));
    m_project->setObjectName(QStringLiteral("approveProject"));
    auto *edit = new QPushButton(tr("Edit arguments…"), buttons);
    edit->setObjectName(QStringLiteral("editArguments"));
    auto *deny = new QPushButton(tr("Deny (Esc)"), buttons);
    deny->setObjectName(QStringLiteral("deny"));
    row->addWidget(m_approve);
    row->addWidget(always);
    row->addWidget(m_project);
    row->addWidget(edit);
    row->addStretch(1);
    row->addWidget(deny);
    connect(m_approve, &QPushButton::clicked, this, [this] { Q_EMIT approved(m_callId, AgentSession::Scope::Once); });
    connect(always, &QPushButton::clicked, this, [this] { Q_EMIT approved(m_callId, AgentSession::Scope::Session); });
    connect(m_project, &QPushButton::clicked, this,
            [this] { Q_EMIT approved(m_callId, AgentSession::Scope::Project); });
    connect(edit, &QPushButton::clicked, this, &ApprovalCard::startEdit);
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

    // Edit the arguments as JSON; the agent validates them against the schema.
    auto *editRow = new QWidget(this);
    auto *editLayout = new QVBoxLayout(editRow);
    editLayout->setContentsMargins(0, 0, 0, 0);
    m_editor->setObjectName(QStringLiteral("argumentEditor"));
    m_editor->setFont(QFont(QStringLiteral("monospace")));
    auto *runEdited = new QPushButton(tr("Approve with these arguments"), editRow);
    runEdited->setObjectName(QStringLiteral("approveEdited"));
    editLayout->addWidget(m_editor);
    editLayout->addWidget(runEdited, 0, Qt::AlignRight);
    connect(runEdited, &QPushButton::clicked, this, [this] {
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(m_editor->toPlainText().toUtf8(), &err);
        if (err.error != QJsonParseError::NoError || !doc.isObject()) {
            showEditError(tr("Not a JSON object: %1").arg(err.errorString()));
            return;
        }
        Q_EMIT approvedEdited(m_callId, doc.object());
    });

    m_modes->addWidget(buttons);
    m_modes->addWidget(denyRow);
    m_modes->addWidget(editRow);

    auto *layout = new QVBoxLayout(this);
    auto *header = new QHBoxLayout;
    header->addWidget(m_title, 1);
    header->addWidget(m_badges);
    layout->addLayout(header);
    layout->addWidget(m_arguments);
    layout->addWidget(m_diff);
    layout->addWidget(m_policy);
    layout->addWidget(m_network);
    layout->addWidget(m_error);
    layout->addWidget(m_modes);
    hide();
}

QString ApprovalCard::argumentsHtml(const QJsonObject &input, const QJsonObject &schema)
{
    const QJsonObject props = schema.value(QLatin1String("properties")).toObject();
    QStringList keys = props.keys();
    for (const QString &k : input.keys())
        if (!keys.contains(k))
            keys << k; // fields the schema does not describe are shown too
    QString html = QStringLiteral("<table cellspacing=\"4\">");
    for (const QString &key : keys) {
        if (!input.contains(key))
            continue;
        const QString description = props.value(key).toObject().value(QLatin1String("description")).toString();
        html +=
            QStringLiteral("<tr><td valign=\"top\"><b>%1</b>%2</td><td>%3</td></tr>")
                .arg(key.toHtmlEscaped(),
                     description.isEmpty()
                         ? QString()
                         : QStringLiteral("<br><span style=\"color:gray;\">%1</span>").arg(description.toHtmlEscaped()),
                     valueHtml(input.value(key)));
    }
    if (input.isEmpty())
        html += QStringLiteral("<tr><td><i>no arguments</i></td></tr>");
    return html + QStringLiteral("</table>");
}

void ApprovalCard::showCall(const PendingApproval &call, const QJsonObject &inputSchema, const QString &projectFile)
{
    // The project rule is shown before it is written: exactly this call, allowed.
    m_project->setVisible(!projectFile.isEmpty());
    if (!projectFile.isEmpty()) {
        const PolicyCall pc{call.callId, call.tool, call.input, call.annotations, QString()};
        const QJsonObject rule = PolicyRule::alwaysAllow(pc, QStringLiteral("project"),
                                                         QStringLiteral("always-this-project:%1").arg(call.tool))
                                     .toJson();
        m_project->setToolTip(
            tr("Adds this rule to %1:\n%2")
                .arg(projectFile, QString::fromUtf8(QJsonDocument(rule).toJson(QJsonDocument::Indented))));
    }
    m_callId = call.callId;
    m_input = call.input;
    m_schema = inputSchema;
    m_title->setText(tr("<b>%1</b> wants to run &nbsp;<span style=\"color:gray;\">%2</span>")
                         .arg(call.tool.toHtmlEscaped(), call.source.toHtmlEscaped()));
    QStringList badges;
    if (call.annotations.readOnly)
        badges << badge(tr("read-only"), "#2e7d32");
    if (call.annotations.destructive && !call.annotations.readOnly)
        badges << badge(tr("destructive"), "#c62828");
    if (call.annotations.openWorld)
        badges << badge(tr("open-world"), "#6a1b9a");
    m_badges->setText(badges.join(QLatin1Char(' ')));
    m_arguments->setText(argumentsHtml(call.input, inputSchema));
    m_policy->setText(tr("<span style=\"color:gray;\">Asked because of policy rule <b>%1</b>%2</span>")
                          .arg(call.decision.rule.toHtmlEscaped(),
                               call.decision.reason.isEmpty()
                                   ? QString()
                                   : QStringLiteral(": ") + call.decision.reason.toHtmlEscaped()));
    m_error->hide();
    m_diff->hide();
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
    m_diff->setDiff(unifiedDiff.isEmpty() ? tr("(the file would not change)") : unifiedDiff);
    m_diff->show();
    updateGeometry();
}

QString ApprovalCard::diffText() const
{
    return m_diff->isVisible() ? m_diff->diff() : QString();
}

void ApprovalCard::startDeny()
{
    showMode(1);
    m_reason->setFocus();
}

void ApprovalCard::startEdit()
{
    m_editor->setPlainText(QString::fromUtf8(QJsonDocument(m_input).toJson(QJsonDocument::Indented)));
    showMode(2);
    m_editor->setFocus();
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
