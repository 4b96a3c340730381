#pragma once

// Read-only text with line numbers in a gutter, for previewing workspace files.

#include <QPlainTextEdit>

namespace airlock {

class CodeView final : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit CodeView(QWidget *parent = nullptr);

    int gutterWidth() const;

protected:
    void resizeEvent(QResizeEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void paintGutter(QPaintEvent *event);

    QWidget *m_gutter;
};

} // namespace airlock
