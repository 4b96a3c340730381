#include "ui/chat/TranscriptView.h"

#include "core/sessions/SessionFeed.h"
#include "core/util/JsonText.h"
#include "core/util/OffThread.h"
#include "ui/chat/TranscriptDelegate.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/transcript/TranscriptFindBar.h"

#include <QAction>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QLineEdit>
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
      m_frame(new QTimer(this)), m_findBar(new TranscriptFindBar(this))
{
    setObjectName(QStringLiteral("transcript"));
    setModel(m_model);
    setItemDelegate(m_delegate);
    setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    setSelectionMode(QAbstractItemView::NoSelection);
    setWordWrap(true);
    setResizeMode(QListView::Adjust);
    setFrameShape(QFrame::NoFrame);
    // Three lines at least: while a card waits, the card's diff needs the room more.
    setMinimumHeight(fontMetrics().lineSpacing() * 3);
    viewport()->setMouseTracking(true); // the hand cursor over Copy buttons and file links
    m_frame->setSingleShot(true);
    m_frame->setInterval(kFrameMs);
    connect(m_frame, &QTimer::timeout, this, &TranscriptView::applyChanges);
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_changedRows.clear();
        m_delegate->invalidate();
        // Matches were rows of what was shown before.
        m_matches.clear();
        m_currentMatch = -1;
        m_delegate->setFind(m_delegate->findText());
        m_findBar->setMatches(-1, 0);
        if (m_findBar->isVisible() && !m_findBar->text().isEmpty()) // found again in what is shown now
            QTimer::singleShot(0, this, [this] { findTextChanged(m_findBar->text()); });
    });
    connect(m_delegate, &TranscriptDelegate::fileChangeActivated, this, &TranscriptView::fileChangeActivated);
    connect(m_delegate, &TranscriptDelegate::retryRequested, this, &TranscriptView::retryRequested);
    connect(m_delegate, &TranscriptDelegate::openSettingsRequested, this, &TranscriptView::openSettingsRequested);
    connect(m_delegate, &TranscriptDelegate::undoRequested, this, &TranscriptView::undoRequested);

    m_findBar->hide();
    auto *find = new QAction(tr("Find in transcript"), this);
    find->setShortcut(QKeySequence::Find);
    find->setShortcutContext(Qt::WindowShortcut); // the prompt usually has the focus
    addAction(find);
    connect(find, &QAction::triggered, this, &TranscriptView::showFindBar);
    connect(m_findBar, &TranscriptFindBar::textChanged, this, &TranscriptView::findTextChanged);
    connect(m_findBar, &TranscriptFindBar::nextRequested, this, &TranscriptView::findNext);
    connect(m_findBar, &TranscriptFindBar::previousRequested, this, &TranscriptView::findPrevious);
    connect(m_findBar, &TranscriptFindBar::closed, this, [this] {
        m_matches.clear();
        m_currentMatch = -1;
        m_delegate->setFind(QString());
        viewport()->update();
        setFocus(Qt::OtherFocusReason);
    });
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
    bool relayout = false;
    for (const int row : std::exchange(m_changedRows, {})) {
        if (row >= m_model->rowCount())
            continue;
        m_delegate->invalidate(row);
        const QModelIndex index = m_model->index(row);
        QListView::dataChanged(index, index);
        // A row that went away (a retry note whose turn went on) leaves no gap.
        relayout = relayout || (m_model->entry(row).hidden && visualRect(index).height() > 0);
    }
    if (relayout)
        scheduleDelayedItemsLayout();
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

void TranscriptView::showFindBar()
{
    placeFindBar();
    m_findBar->open();
    if (!m_findBar->text().isEmpty())
        findTextChanged(m_findBar->text()); // rows may have come since
}

void TranscriptView::placeFindBar()
{
    const int width = std::min(460, viewport()->width() - 16);
    const int height = m_findBar->sizeHint().height();
    m_findBar->setGeometry(viewport()->geometry().right() - width - 8, viewport()->geometry().top() + 4, width, height);
}

int TranscriptView::currentFindRow() const
{
    return m_currentMatch < 0 ? -1 : m_matches[std::size_t(m_currentMatch)].row;
}

void TranscriptView::collectMatches()
{
    m_matches.clear();
    if (m_delegate->findText().isEmpty())
        return;
    const int width = viewport()->width();
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const QModelIndex index = m_model->index(row);
        const int n = m_delegate->matchCount(index, QRect(0, 0, width, 0));
        for (int i = 0; i < n; ++i)
            m_matches.push_back({row, i});
    }
}

void TranscriptView::findTextChanged(const QString &text)
{
    m_delegate->setFind(text);
    collectMatches();
    // The first match at or below the top of what is on screen, so typing does not
    // jump away from where the person is reading.
    int first = m_matches.empty() ? -1 : 0;
    const QModelIndex top = indexAt(QPoint(0, 0));
    for (std::size_t i = 0; top.isValid() && i < m_matches.size(); ++i) {
        if (m_matches[i].row >= top.row()) {
            first = int(i);
            break;
        }
    }
    goToMatch(first);
}

void TranscriptView::findNext()
{
    collectMatches(); // rows may have grown since
    if (!m_matches.empty())
        goToMatch(m_currentMatch < 0 ? 0 : (m_currentMatch + 1) % int(m_matches.size()));
}

void TranscriptView::findPrevious()
{
    collectMatches();
    if (!m_matches.empty()) {
        const int n = int(m_matches.size());
        goToMatch(m_currentMatch <= 0 ? n - 1 : std::min(m_currentMatch, n) - 1);
    }
}

void TranscriptView::goToMatch(int match)
{
    m_currentMatch = match < int(m_matches.size()) ? match : -1;
    m_findBar->setMatches(m_currentMatch, int(m_matches.size()));
    if (m_currentMatch < 0) {
        m_delegate->setFind(m_delegate->findText());
        viewport()->update();
        return;
    }
    const Match &m = m_matches[std::size_t(m_currentMatch)];
    m_delegate->setFind(m_delegate->findText(), m.row, m.occurrence);
    const QModelIndex index = m_model->index(m.row);
    scrollTo(index, QAbstractItemView::EnsureVisible);
    // A tall row (a long answer) is scrolled to the line the match is on, below the bar.
    const QRectF at = m_delegate->matchRect(index, visualRect(index), m.occurrence);
    const int barBottom = m_findBar->isVisible() ? m_findBar->geometry().bottom() : 0;
    if (!at.isEmpty() && (at.top() < barBottom || at.bottom() > viewport()->height())) {
        QScrollBar *bar = verticalScrollBar();
        bar->setValue(bar->value() + int(at.top()) - viewport()->height() / 3);
    }
    viewport()->update();
}

void TranscriptView::resizeEvent(QResizeEvent *event)
{
    QListView::resizeEvent(event);
    placeFindBar();
    if (event->oldSize().width() != event->size().width())
        doItemsLayout(); // row heights depend on the width
}

} // namespace airlock
