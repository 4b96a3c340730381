#pragma once

// The transcript's find bar (Ctrl+F): what to find, next and previous, how many
// matches there are. It only asks; the view finds, highlights and scrolls.

#include <QWidget>

class QLabel;
class QLineEdit;
class QToolButton;

namespace airlock {

class TranscriptFindBar final : public QWidget {
    Q_OBJECT
public:
    explicit TranscriptFindBar(QWidget *parent = nullptr);

    QLineEdit *field() const { return m_field; }
    QString text() const;
    // Shows where the current match is among all of them; 0 matches says so.
    void setMatches(int current, int total);
    // Opens with the text selected, so typing replaces it.
    void open();

Q_SIGNALS:
    void textChanged(const QString &text);
    void nextRequested();
    void previousRequested();
    void closed();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void close();

    QLineEdit *m_field;
    QToolButton *m_previous;
    QToolButton *m_next;
    QLabel *m_count;
};

} // namespace airlock
