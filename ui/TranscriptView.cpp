#include "TranscriptView.h"

#include "TranscriptDelegate.h"
#include "TranscriptModel.h"
#include "storage/EventStore.h"

#include <QFutureWatcher>
#include <QResizeEvent>
#include <QtConcurrent>

namespace airlock {
namespace {

struct Loaded {
    Transcript transcript;
    QString error;
};

Loaded fold(const QString &path, const QString &sessionId)
{
    Loaded out;
    auto store = EventStore::open(path);
    if (!store) {
        out.error = store.error().message;
        return out;
    }
    const Status s = (*store)->forEachEvent(sessionId, [&](const Event &e) {
        (void)out.transcript.apply(e);
        return true;
    });
    if (!s)
        out.error = s.error().message;
    return out;
}

} // namespace

TranscriptView::TranscriptView(QWidget *parent)
    : QListView(parent), m_model(new TranscriptModel(this)), m_delegate(new TranscriptDelegate(this))
{
    setObjectName(QStringLiteral("transcript"));
    setModel(m_model);
    setItemDelegate(m_delegate);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    setSelectionMode(QAbstractItemView::NoSelection);
    setWordWrap(true);
    setResizeMode(QListView::Adjust);
    setFrameShape(QFrame::NoFrame);
    connect(m_model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &from) { m_delegate->invalidate(from.row()); });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] { m_delegate->invalidate(); });
}

void TranscriptView::loadSession(const QString &databasePath, const QString &sessionId)
{
    m_sessionId = sessionId;
    const quint64 generation = ++m_generation;
    auto *watcher = new QFutureWatcher<Loaded>(this); // deleted when finished
    connect(watcher, &QFutureWatcher<Loaded>::finished, this, [this, watcher, generation, sessionId] {
        Loaded result = watcher->result();
        watcher->deleteLater();
        if (generation != m_generation)
            return;
        if (!result.error.isEmpty()) {
            Q_EMIT loadFailed(result.error);
            return;
        }
        m_model->reset(std::move(result.transcript));
        scrollToBottom();
        Q_EMIT loaded(sessionId);
    });
    watcher->setFuture(QtConcurrent::run(fold, databasePath, sessionId));
}

void TranscriptView::resizeEvent(QResizeEvent *event)
{
    QListView::resizeEvent(event);
    if (event->oldSize().width() != event->size().width())
        doItemsLayout(); // row heights depend on the width
}

} // namespace airlock
