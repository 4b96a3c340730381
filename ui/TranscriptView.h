#pragma once

// The chat transcript: a list view with lazily laid-out rows, so a session of any
// length scrolls smoothly. Stored sessions are read and folded off the UI thread.

#include <QListView>

namespace airlock {

class TranscriptDelegate;
class TranscriptModel;

class TranscriptView final : public QListView {
    Q_OBJECT
public:
    explicit TranscriptView(QWidget *parent = nullptr);

    TranscriptModel *transcript() const { return m_model; }
    // Loads a stored session asynchronously; emits loaded() or loadFailed().
    void loadSession(const QString &databasePath, const QString &sessionId);
    const QString &sessionId() const { return m_sessionId; }

Q_SIGNALS:
    void loaded(const QString &sessionId);
    void loadFailed(const QString &message);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    TranscriptModel *m_model;
    TranscriptDelegate *m_delegate;
    QString m_sessionId;
    quint64 m_generation = 0; // a newer load supersedes an older one still running
};

} // namespace airlock
