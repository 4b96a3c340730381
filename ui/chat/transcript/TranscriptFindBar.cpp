#include "ui/chat/transcript/TranscriptFindBar.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QToolButton>

namespace airlock {

TranscriptFindBar::TranscriptFindBar(QWidget *parent)
    : QWidget(parent), m_field(new QLineEdit(this)), m_previous(new QToolButton(this)), m_next(new QToolButton(this)),
      m_count(new QLabel(this))
{
    setObjectName(QStringLiteral("transcriptFindBar"));
    setAutoFillBackground(true); // drawn over the transcript's rows
    m_field->setObjectName(QStringLiteral("transcriptFindField"));
    m_field->setPlaceholderText(tr("Find in transcript"));
    m_field->setClearButtonEnabled(true);
    m_field->installEventFilter(this);
    m_previous->setText(tr("Previous"));
    m_previous->setToolTip(tr("Previous match (Shift+Enter)"));
    m_next->setText(tr("Next"));
    m_next->setToolTip(tr("Next match (Enter)"));
    auto *close = new QToolButton(this);
    close->setText(tr("Close"));
    close->setToolTip(tr("Close (Esc)"));
    m_count->setObjectName(QStringLiteral("transcriptFindCount"));
    m_count->setMinimumWidth(m_count->fontMetrics().horizontalAdvance(tr("No matches")) + 8);

    auto *row = new QHBoxLayout(this);
    row->setContentsMargins(6, 4, 6, 4);
    row->addWidget(m_field, 1);
    row->addWidget(m_count);
    row->addWidget(m_previous);
    row->addWidget(m_next);
    row->addWidget(close);

    connect(m_field, &QLineEdit::textChanged, this, &TranscriptFindBar::textChanged);
    connect(m_previous, &QToolButton::clicked, this, &TranscriptFindBar::previousRequested);
    connect(m_next, &QToolButton::clicked, this, &TranscriptFindBar::nextRequested);
    connect(close, &QToolButton::clicked, this, &TranscriptFindBar::close);
    setMatches(-1, 0);
}

QString TranscriptFindBar::text() const
{
    return m_field->text();
}

void TranscriptFindBar::setMatches(int current, int total)
{
    if (m_field->text().isEmpty())
        m_count->clear();
    else if (total == 0)
        m_count->setText(tr("No matches"));
    else
        m_count->setText(tr("%1 of %2").arg(current + 1).arg(total));
    m_previous->setEnabled(total > 0);
    m_next->setEnabled(total > 0);
}

void TranscriptFindBar::open()
{
    show();
    raise();
    m_field->setFocus(Qt::ShortcutFocusReason);
    m_field->selectAll();
}

void TranscriptFindBar::close()
{
    hide();
    Q_EMIT closed();
}

bool TranscriptFindBar::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_field && event->type() == QEvent::KeyPress) {
        const auto *key = static_cast<QKeyEvent *>(event);
        if (key->key() == Qt::Key_Escape) {
            close();
            return true;
        }
        if (key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) {
            if (key->modifiers() & Qt::ShiftModifier)
                Q_EMIT previousRequested();
            else
                Q_EMIT nextRequested();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace airlock
