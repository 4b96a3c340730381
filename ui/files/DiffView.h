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

private:
    QString m_diff;
};

} // namespace airlock
