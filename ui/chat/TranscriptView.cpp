#include "ui/chat/TranscriptView.h"

#include "core/sessions/SessionFeed.h"
#include "core/util/JsonText.h"
#include "core/util/OffThread.h"
#include "ui/chat/TranscriptDelegate.h"
#include "ui/chat/TranscriptModel.h"

#include <QClipboard>
#include <QContextMenuEvent>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QMenu>
#include <QResizeEvent>
#include <QScrollBar>
#include <QTextDocument>
#include <QTimer>

#include <algorithm>

namespace airlock {
namespace {

Transcript fold(const std::vector<Event> &events)
{
    Transcript transcript;
    transcript.applyAll(events); // a stored answer that never ended shows as interrupted
    return transcript;
}

constexpr int kFrameMs = 16;

void addCopyAction(QMenu &menu, const QString &label, const QString &text)
{
    QAction *action = menu.addAction(label, &menu, [text] { QGuiApplication::clipboard()->setText(text); });
    action->setEnabled(!text.isEmpty());
}

} // namespace

TranscriptView::TranscriptView(QWidget *parent)
    : QListView(parent), m_model(new TranscriptModel(this)), m_delegate(new TranscriptDelegate(this)),
      m_frame(new QTimer(this))
{
    setObjectName(QStringLiteral("transcript"));
    setModel(m_model);
    setItemDelegate(m_delegate);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    setSelectionMode(QAbstractItemView::NoSelection);
    setWordWrap(true);
    setResizeMode(QListView::Adjust);
    setFrameShape(QFrame::NoFrame);
    viewport()->setMouseTracking(true); // the hand cursor over Copy buttons and file links
    m_frame->setSingleShot(true);
    m_frame->setInterval(kFrameMs);
    connect(m_frame, &QTimer::timeout, this, &TranscriptView::applyChanges);
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_changedRows.clear();
        m_delegate->invalidate();
    });
    connect(m_delegate, &TranscriptDelegate::fileChangeActivated, this, &TranscriptView::fileChangeActivated);
    connect(m_delegate, &TranscriptDelegate::repaintRequested, this,
            [this](const QModelIndex &index) { viewport()->update(visualRect(index)); });
}

TranscriptView::~TranscriptView() = default;

void TranscriptView::loadSession(const QString &databasePath, const QString &sessionId)
{
    delete m_ownFeed;
    auto *feed = new SessionFeed(databasePath, sessionId, this); // owned by the view
    m_ownFeed = feed;
    follow(feed);
    feed->start();
}

void TranscriptView::follow(SessionFeed *feed)
{
    if (m_feed)
        disconnect(m_feed, nullptr, this, nullptr);
    m_feed = feed;
    ++m_generation;
    m_folding = false;
    m_failed = false;
    m_heldLive.clear();
    m_sessionId = feed ? feed->sessionId() : QString();
    if (!feed)
        return;
    connect(feed, &SessionFeed::failed, this, [this](const QString &message) {
        m_failed = true;
        Q_EMIT loadFailed(message);
    });
    connect(feed, &SessionFeed::replayed, this, &TranscriptView::foldReplay);
    connect(feed, &SessionFeed::eventArrived, this, &TranscriptView::applyLive);
}

void TranscriptView::foldReplay(const std::vector<Event> &events)
{
    if (m_failed)
        return;
    if (events.empty()) { // a new session: nothing to fold, nothing to wait for
        m_model->reset(Transcript());
        Q_EMIT loaded(m_sessionId);
        return;
    }
    m_folding = true;
    const quint64 generation = m_generation;
    const QString sessionId = m_sessionId;
    // Copied: the events share their data, and the feed keeps none of them.
    OffThread::run(
        this, [events] { return fold(events); },
        [this, generation, sessionId](Transcript transcript) {
            if (generation != m_generation)
                return; // another feed by now
            m_folding = false;
            m_model->reset(std::move(transcript));
            for (const Event &e : std::exchange(m_heldLive, {}))
                m_model->apply(e);
            scrollToBottom();
            Q_EMIT loaded(sessionId);
        });
}

void TranscriptView::applyLive(const Event &event)
{
    if (m_folding)
        m_heldLive.push_back(event);
    else
        m_model->apply(event);
}

void TranscriptView::dataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight, const QList<int> &)
{
    // QListView would schedule a layout of every row, and the caller's
    // scrollToBottom() would run it at once: per delta, while an answer streams.
    for (int row = topLeft.row(); row <= bottomRight.row(); ++row)
        if (std::find(m_changedRows.begin(), m_changedRows.end(), row) == m_changedRows.end())
            m_changedRows.push_back(row);
    if (!m_frame->isActive())
        m_frame->start();
}

void TranscriptView::applyChanges()
{
    const QScrollBar *bar = verticalScrollBar();
    const bool atBottom = bar->value() >= bar->maximum();
    for (const int row : std::exchange(m_changedRows, {})) {
        if (row >= m_model->rowCount())
            continue;
        m_delegate->invalidate(row);
        const QModelIndex index = m_model->index(row);
        QListView::dataChanged(index, index);
    }
    if (atBottom)
        scrollToBottom();
}

void TranscriptView::changeEvent(QEvent *event)
{
    QListView::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange) {
        // Colours and fonts are baked into the rows' documents.
        m_delegate->invalidate();
        scheduleDelayedItemsLayout();
        viewport()->update();
    }
}

void TranscriptView::mouseMoveEvent(QMouseEvent *event)
{
    const QPoint pos = event->position().toPoint();
    const QModelIndex index = indexAt(pos);
    if (index.isValid() && m_delegate->isClickableAt(index, visualRect(index), pos))
        viewport()->setCursor(Qt::PointingHandCursor);
    else
        viewport()->unsetCursor();
    QListView::mouseMoveEvent(event);
}

std::unique_ptr<QMenu> TranscriptView::contextMenuFor(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != m_model)
        return nullptr;
    const TranscriptEntry &e = m_model->entry(index.row());
    auto menu = std::make_unique<QMenu>();
    if (e.kind == TranscriptEntry::Kind::ToolCall) {
        QTextDocument card;
        card.setHtml(TranscriptDelegate::htmlFor(e, palette()));
        addCopyAction(*menu, tr("Copy text"), card.toPlainText());
        addCopyAction(*menu, tr("Copy arguments (JSON)"),
                      QString::fromUtf8(QJsonDocument(e.input).toJson(QJsonDocument::Indented)));
        addCopyAction(*menu, tr("Copy result"),
                      e.state == TranscriptEntry::CallState::Failed      ? e.error
                      : e.state == TranscriptEntry::CallState::Succeeded ? jsonText(e.result)
                                                                         : QString());
    } else {
        addCopyAction(*menu, tr("Copy text"), e.text); // an answer's Markdown source
    }
    return menu;
}

void TranscriptView::contextMenuEvent(QContextMenuEvent *event)
{
    if (const auto menu = contextMenuFor(indexAt(event->pos())))
        menu->exec(event->globalPos());
}

void TranscriptView::resizeEvent(QResizeEvent *event)
{
    QListView::resizeEvent(event);
    if (event->oldSize().width() != event->size().width())
        doItemsLayout(); // row heights depend on the width
}

} // namespace airlock
