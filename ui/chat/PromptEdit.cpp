#include "ui/chat/PromptEdit.h"

#include <QKeyEvent>

namespace airlock {

PromptEdit::PromptEdit(QWidget *parent) : QPlainTextEdit(parent)
{
    setObjectName(QStringLiteral("prompt"));
    setPlaceholderText(tr("Ask the agent… (Enter sends, Shift+Enter for a new line, Esc stops)"));
    setTabChangesFocus(true);
    setMaximumHeight(fontMetrics().lineSpacing() * 6 + 12);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Maximum);
}

QSize PromptEdit::sizeHint() const
{
    const QSize base = QPlainTextEdit::sizeHint();
    return {base.width(), fontMetrics().lineSpacing() * 3 + 12};
}

void PromptEdit::keyPressEvent(QKeyEvent *event)
{
    const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
    if (enter && !(event->modifiers() & Qt::ShiftModifier)) {
        const QString text = toPlainText().trimmed();
        if (!text.isEmpty())
            Q_EMIT submitted(text);
        return;
    }
    if (event->key() == Qt::Key_Escape) {
        Q_EMIT stopRequested();
        return;
    }
    QPlainTextEdit::keyPressEvent(event);
}

} // namespace airlock
