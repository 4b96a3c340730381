#pragma once

// The prompt box: Enter sends, Shift+Enter starts a new line, Esc asks to stop.

#include <QPlainTextEdit>

namespace airlock {

class PromptEdit final : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit PromptEdit(QWidget *parent = nullptr);

    // Three lines by default, six at most: an approval card above needs the room more
    // than an empty box does.
    QSize sizeHint() const override;

Q_SIGNALS:
    void submitted(const QString &text);
    void stopRequested();

protected:
    void keyPressEvent(QKeyEvent *event) override;
};

} // namespace airlock
