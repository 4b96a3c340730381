#include "LogsView.h"

#include "LogModel.h"
#include "events/Event.h"
#include "storage/EventStore.h"

#include <QCheckBox>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QListView>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QTabBar>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace airlock {
namespace {

// Filters by execution (the tab) and by the search text.
class LogFilter final : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setCall(const QString &callId)
    {
        m_callId = callId;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex &parent) const override
    {
        const QModelIndex i = sourceModel()->index(row, 0, parent);
        if (!m_callId.isEmpty() && i.data(LogModel::CallIdRole).toString() != m_callId)
            return false;
        return QSortFilterProxyModel::filterAcceptsRow(row, parent);
    }

private:
    QString m_callId;
};

struct Replayed {
    std::vector<LogEntry> lines;
    std::vector<std::pair<QString, QString>> calls; // call id, tool
};

} // namespace

LogsView::LogsView(QWidget *parent)
    : QWidget(parent), m_model(new LogModel(this)), m_filter(new LogFilter(this)), m_tabs(new QTabBar(this)),
      m_search(new QLineEdit(this)), m_follow(new QCheckBox(tr("Follow"), this)), m_list(new QListView(this))
{
    setObjectName(QStringLiteral("logsView"));
    m_filter->setSourceModel(m_model);
    m_filter->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_list->setModel(m_filter);
    m_list->setUniformItemSizes(true); // constant-time layout, whatever the line count
    m_list->setFont(QFont(QStringLiteral("monospace")));
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setObjectName(QStringLiteral("logLines"));
    m_tabs->addTab(tr("All"));
    m_tabs->setTabData(0, QString());
    m_tabs->setExpanding(false);
    m_search->setPlaceholderText(tr("Search logs"));
    m_search->setClearButtonEnabled(true);
    m_follow->setChecked(true);

    auto *top = new QHBoxLayout;
    top->addWidget(m_tabs, 1);
    top->addWidget(m_search);
    top->addWidget(m_follow);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(top);
    layout->addWidget(m_list, 1);

    connect(m_tabs, &QTabBar::currentChanged, this, &LogsView::applyFilter);
    connect(m_search, &QLineEdit::textChanged, this, &LogsView::setSearch);
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_follow->isChecked())
            m_list->scrollToBottom();
    });
}

void LogsView::setSearch(const QString &text)
{
    if (m_search->text() != text)
        m_search->setText(text);
    m_filter->setFilterFixedString(text);
}

void LogsView::applyFilter()
{
    static_cast<LogFilter *>(m_filter)->setCall(m_tabs->tabData(m_tabs->currentIndex()).toString());
}

int LogsView::tabFor(const QString &callId, const QString &label)
{
    for (int i = 1; i < m_tabs->count(); ++i)
        if (m_tabs->tabData(i).toString() == callId)
            return i;
    const int i = m_tabs->addTab(label);
    m_tabs->setTabData(i, callId);
    m_tabs->setTabToolTip(i, callId);
    return i;
}

void LogsView::apply(const Event &event)
{
    const auto kind = event.knownKind();
    if (kind != EventKind::LogLine && kind != EventKind::ExecutionStarted && kind != EventKind::ExecutionFinished)
        return;
    const QJsonObject p = event.payloadObject();
    const QString callId = p.value(QLatin1String("call_id")).toString();
    if (kind == EventKind::ExecutionStarted) {
        tabFor(callId, p.value(QLatin1String("tool")).toString());
    } else if (kind == EventKind::ExecutionFinished) {
        for (int i = 1; i < m_tabs->count(); ++i)
            if (m_tabs->tabData(i).toString() == callId)
                m_tabs->setTabText(
                    i, (p.value(QLatin1String("ok")).toBool() ? QStringLiteral("✓ ") : QStringLiteral("✗ ")) +
                           m_tabs->tabText(i));
    } else {
        m_model->append(
            {callId, p.value(QLatin1String("stream")).toString(), p.value(QLatin1String("text")).toString()});
    }
}

void LogsView::clear()
{
    ++m_generation;
    m_model->reset({});
    while (m_tabs->count() > 1)
        m_tabs->removeTab(1);
}

void LogsView::loadSession(const QString &databasePath, const QString &sessionId)
{
    clear();
    const quint64 generation = m_generation;
    auto *watcher = new QFutureWatcher<Replayed>(this); // deleted when finished
    connect(watcher, &QFutureWatcher<Replayed>::finished, this, [this, watcher, generation] {
        Replayed r = watcher->result();
        watcher->deleteLater();
        if (generation != m_generation)
            return; // another session was opened meanwhile
        for (const auto &[callId, tool] : r.calls)
            tabFor(callId, tool);
        m_model->reset(std::move(r.lines));
        if (m_follow->isChecked())
            m_list->scrollToBottom();
    });
    watcher->setFuture(QtConcurrent::run([databasePath, sessionId] {
        Replayed r;
        auto store = EventStore::open(databasePath);
        if (!store)
            return r;
        (void)(*store)->forEachEvent(sessionId, [&](const Event &e) {
            const auto kind = e.knownKind();
            if (kind == EventKind::LogLine) {
                const QJsonObject p = e.payloadObject();
                r.lines.push_back({p.value(QLatin1String("call_id")).toString(),
                                   p.value(QLatin1String("stream")).toString(),
                                   p.value(QLatin1String("text")).toString()});
            } else if (kind == EventKind::ExecutionStarted) {
                const QJsonObject p = e.payloadObject();
                r.calls.emplace_back(p.value(QLatin1String("call_id")).toString(),
                                     p.value(QLatin1String("tool")).toString());
            }
            return true;
        });
        return r;
    }));
}

} // namespace airlock
