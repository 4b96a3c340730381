#pragma once

// A unified diff, read-only, monospaced: added lines on green, removed lines on
// red, hunk headers in blue, so a person sees at a glance what a call changed.

#include <QPlainTextEdit>

namespace airlock {

class DiffView final : public QPlainTextEdit {
    Q_OBJECT
public:
    enum class LineKind { Context, Added, Removed, Hunk, Header, Note };

    explicit DiffView(QWidget *parent = nullptr);

    void setDiff(const QString &unifiedDiff);
    QString diff() const { return m_diff; }
    static LineKind kindOf(QStringView line);
    static QColor background(LineKind kind);
    // How tall the view asks to be, in lines of its font (0: Qt's default); a
    // layout short of room may still make it smaller, and it scrolls.
    void setPreferredLines(int lines);
    QSize sizeHint() const override;

private:
    QString m_diff;
    int m_preferredLines = 0;
};

} // namespace airlock
