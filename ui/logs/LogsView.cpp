#include "ui/logs/LogsView.h"

#include "core/events/EventPayloads.h"
#include "core/sessions/SessionFeed.h"
#include "core/util/OffThread.h"
#include "ui/logs/LogFilterModel.h"
#include "ui/logs/LogModel.h"

#include <QCheckBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QStackedWidget>
#include <QTabBar>
#include <QTableView>
#include <QVBoxLayout>

namespace airlock {
namespace {

struct Replayed {
    std::vector<LogEntry> lines;
    std::vector<std::pair<QString, QString>> calls; // call id, tool
    QHash<QString, QJsonObject> inputs;             // call id → input
    std::vector<std::pair<QString, bool>> finished; // call id, ok
    qsizetype egressLines = 0;
};

bool isEgress(const LogEntry &line)
{
    return line.stream == QLatin1String("egress");
}

LogEntry lineOf(const Event &event)
{
    auto line = payloads::LogLine::from(event);
    return {std::move(line.callId), std::move(line.stream), std::move(line.text)};
}

// An egress audit event as a line of the Egress source.
LogEntry egressLineOf(const Event &event)
{
    const auto request = payloads::EgressRequest::from(event);
    return {request.callId, QStringLiteral("egress"), request.text()};
}

Replayed linesOf(const std::vector<Event> &events)
{
    Replayed r;
    for (const Event &e : events) {
        const auto kind = e.knownKind();
        if (kind == EventKind::LogLine || kind == EventKind::Egress) {
            r.lines.push_back(kind == EventKind::Egress ? egressLineOf(e) : lineOf(e));
            r.egressLines += isEgress(r.lines.back()) ? 1 : 0;
        } else if (kind == EventKind::ExecutionStarted) {
            auto started = payloads::ExecutionStarted::from(e);
            r.calls.emplace_back(std::move(started.callId), std::move(started.tool));
        } else if (kind == EventKind::ExecutionFinished) {
            const auto done = payloads::ExecutionFinished::from(e);
            r.finished.emplace_back(done.callId, done.ok);
        } else if (kind == EventKind::ModelToolCall) {
            auto call = payloads::ModelToolCall::from(e);
            r.inputs.insert(call.callId, call.input);
        } else if (kind == EventKind::ApprovalGranted) {
            auto granted = payloads::ApprovalGranted::from(e);
            if (granted.editedInput) // what ran is the edit
                r.inputs.insert(granted.callId, *granted.editedInput);
        }
    }
    return r;
}

QString elided(const QString &text, int chars)
{
    return text.size() <= chars ? text : text.left(chars - 1) + QChar(0x2026);
}

} // namespace

LogsView::LogsView(QWidget *parent)
    : QWidget(parent), m_model(new LogModel(this)), m_filter(new LogFilterModel(m_model, this)),
      m_sources(new QTabBar(this)), m_tabs(new QTabBar(this)), m_search(new QLineEdit(this)),
      m_follow(new QCheckBox(tr("Follow"), this)), m_showVm(new QCheckBox(tr("Show VM console"), this)),
      m_stack(new QStackedWidget(this)), m_list(new QTableView(this)), m_egressEmpty(new QLabel(this))
{
    setObjectName(QStringLiteral("logsView"));
    m_list->setObjectName(QStringLiteral("logLines"));
    m_list->setModel(m_filter);
    // A one-column table rather than a QListView: QListView lays out every row again
    // after each insert (about 20 ms at a million lines, ten times a second while a
    // tool prints), where a table with fixed-height rows only extends its header.
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_list->setFont(mono);
    m_list->horizontalHeader()->hide();
    m_list->horizontalHeader()->setStretchLastSection(true);
    m_list->verticalHeader()->hide();
    m_list->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_list->verticalHeader()->setDefaultSectionSize(QFontMetrics(mono).height() + 2);
    m_list->setShowGrid(false);
    m_list->setWordWrap(false);
    m_list->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);

    m_sources->setObjectName(QStringLiteral("logSources"));
    m_sources->setExpanding(false);
    m_sources->setDocumentMode(true);
    m_sources->addTab(tr("Logs"));
    m_sources->addTab(tr("VM console"));
    m_sources->setTabToolTip(1, tr("The microVM's serial console: boot messages and kernel output"));
    m_sources->addTab(tr("Egress"));
    m_sources->setTabToolTip(2, tr("Outbound network requests made by tools"));

    m_tabs->setObjectName(QStringLiteral("logTabs"));
    m_tabs->addTab(tr("All"));
    m_tabs->setTabData(0, QString());
    m_tabs->setExpanding(false);
    m_search->setPlaceholderText(tr("Search logs"));
    m_search->setClearButtonEnabled(true);
    m_follow->setChecked(true);
    // Kernel and serial lines ("PCI: Fatal…") are the VM's, not the call's: behind a
    // toggle, so a call's own stdout and stderr are what one reads first.
    m_showVm->setObjectName(QStringLiteral("showVmConsole"));
    m_showVm->setToolTip(tr("Also show the microVM's console (boot and kernel messages) between the lines of "
                            "each call"));
    m_showVm->setChecked(false);
    connect(m_showVm, &QCheckBox::toggled, m_filter, &LogFilterModel::setShowVmConsole);

    // Says what would appear here, and why it may stay empty: deny by default.
    m_egressEmpty->setObjectName(QStringLiteral("egressEmptyState"));
    m_egressEmpty->setText(tr("No outbound requests yet. Every request a tool makes (fetch in a JavaScript tool, "
                              "curl, git or pip in the microVM) passes the egress gate and is listed here, allowed "
                              "or denied. Nothing may leave unless a rule in the project's \"egress\" or a "
                              "service binding allows it."));
    m_egressEmpty->setWordWrap(true);
    m_egressEmpty->setAlignment(Qt::AlignCenter);
    m_egressEmpty->setMargin(16);
    m_stack->addWidget(m_list);
    m_stack->addWidget(m_egressEmpty);

    auto *top = new QHBoxLayout;
    top->addWidget(m_sources, 1);
    top->addWidget(m_search);
    top->addWidget(m_showVm);
    top->addWidget(m_follow);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->setSpacing(2);
    layout->addLayout(top);
    layout->addWidget(m_tabs);
    layout->addWidget(m_stack, 1);

    connect(m_sources, &QTabBar::currentChanged, this, &LogsView::applyFilter);
    connect(m_tabs, &QTabBar::currentChanged, this, &LogsView::applyFilter);
    connect(m_search, &QLineEdit::textChanged, this, &LogsView::setSearch);
    connect(m_follow, &QCheckBox::toggled, this, [this](bool on) {
        if (on)
            m_list->scrollToBottom();
    });
    // Following pins the scroll bar to its end whenever its range grows: after the
    // table has placed new rows, not before (as a scroll on rowsInserted would be).
    connect(m_list->verticalScrollBar(), &QScrollBar::rangeChanged, this, [this](int, int max) {
        if (m_follow->isChecked())
            m_list->verticalScrollBar()->setValue(max);
    });
}

void LogsView::setSearch(const QString &text)
{
    if (m_search->text() != text)
        m_search->setText(text);
    m_filter->setSearch(text);
}

void LogsView::showSource(Source source)
{
    m_sources->setCurrentIndex(static_cast<int>(source));
}

LogsView::Source LogsView::source() const
{
    return static_cast<Source>(m_sources->currentIndex());
}

bool LogsView::showsEgressEmptyState() const
{
    return m_stack->currentWidget() == m_egressEmpty;
}

void LogsView::applyFilter()
{
    const Source shown = source();
    m_tabs->setVisible(shown == Source::Logs);
    m_showVm->setVisible(shown == Source::Logs);
    switch (shown) {
    case Source::Logs: {
        const QString callId = m_tabs->tabData(m_tabs->currentIndex()).toString();
        m_filter->setScope(callId.isEmpty() ? LogFilterModel::Scope::All : LogFilterModel::Scope::Call, callId);
        break;
    }
    case Source::VmConsole:
        m_filter->setScope(LogFilterModel::Scope::VmConsole);
        break;
    case Source::Egress:
        m_filter->setScope(LogFilterModel::Scope::Egress);
        break;
    }
    updateEmptyState();
    if (m_follow->isChecked())
        m_list->scrollToBottom();
}

void LogsView::updateEmptyState()
{
    m_stack->setCurrentWidget(source() == Source::Egress && m_egressLines == 0 ? static_cast<QWidget *>(m_egressEmpty)
                                                                               : m_list);
}

QString LogsView::callLabel(const QString &tool, const QJsonObject &input)
{
    // What a person would call the call: the command it runs, else the tool and
    // what it touches.
    const QString command = input.value(QLatin1String("command")).toString().simplified();
    if (!command.isEmpty())
        return command;
    for (const char *key : {"path", "file", "url", "query", "pattern", "name"}) {
        const QString target = input.value(QLatin1String(key)).toString().simplified();
        if (!target.isEmpty())
            return QStringLiteral("%1 %2").arg(tool, target);
    }
    return tool;
}

int LogsView::tabFor(const QString &callId, const QString &tool)
{
    for (int i = 1; i < m_tabs->count(); ++i)
        if (m_tabs->tabData(i).toString() == callId)
            return i;
    const QString label = callLabel(tool, m_callInputs.value(callId));
    const int i = m_tabs->addTab(elided(label, kTabChars));
    m_tabs->setTabData(i, callId);
    m_tabs->setTabToolTip(i,
                          label == tool ? tr("%1 (%2)").arg(tool, callId) : tr("%1\n%2 (%3)").arg(label, tool, callId));
    return i;
}

void LogsView::markFinished(const QString &callId, bool ok)
{
    for (int i = 1; i < m_tabs->count(); ++i)
        if (m_tabs->tabData(i).toString() == callId)
            m_tabs->setTabText(i, (ok ? QStringLiteral("✓ ") : QStringLiteral("✗ ")) + m_tabs->tabText(i));
}

void LogsView::appendLine(LogEntry line)
{
    if (isEgress(line) && m_egressLines++ == 0)
        updateEmptyState();
    m_model->append(std::move(line));
}

void LogsView::apply(const Event &event)
{
    const auto kind = event.knownKind();
    if (kind == EventKind::ModelToolCall) {
        const auto call = payloads::ModelToolCall::from(event);
        m_callInputs.insert(call.callId, call.input);
    } else if (kind == EventKind::ApprovalGranted) {
        const auto granted = payloads::ApprovalGranted::from(event);
        if (granted.editedInput)
            m_callInputs.insert(granted.callId, *granted.editedInput);
    } else if (kind == EventKind::ExecutionStarted) {
        const auto started = payloads::ExecutionStarted::from(event);
        tabFor(started.callId, started.tool);
    } else if (kind == EventKind::ExecutionFinished) {
        const auto finished = payloads::ExecutionFinished::from(event);
        markFinished(finished.callId, finished.ok);
    } else if (kind == EventKind::LogLine) {
        appendLine(lineOf(event));
    } else if (kind == EventKind::Egress) {
        appendLine(egressLineOf(event));
    }
}

void LogsView::clear()
{
    ++m_generation;
    m_replaying = false;
    m_heldLive.clear();
    m_model->reset({});
    m_egressLines = 0;
    m_callInputs.clear();
    while (m_tabs->count() > 1)
        m_tabs->removeTab(1);
    updateEmptyState();
}

void LogsView::loadSession(const QString &databasePath, const QString &sessionId)
{
    delete m_ownFeed;
    auto *feed = new SessionFeed(databasePath, sessionId, this); // owned by the view
    m_ownFeed = feed;
    follow(feed);
    feed->start();
}

void LogsView::follow(SessionFeed *feed)
{
    if (m_feed)
        disconnect(m_feed, nullptr, this, nullptr);
    clear();
    m_feed = feed;
    if (!feed)
        return;
    connect(feed, &SessionFeed::replayed, this, &LogsView::replay);
    connect(feed, &SessionFeed::eventArrived, this, &LogsView::applyLive);
}

void LogsView::applyLive(const Event &event)
{
    if (m_replaying)
        m_heldLive.push_back(event);
    else
        apply(event);
}

void LogsView::replay(const std::vector<Event> &events)
{
    if (events.empty())
        return; // a new session: nothing to read, and live lines go in at once
    m_replaying = true;
    const quint64 generation = m_generation;
    // A million lines are a million JSON payloads to read: not on the UI thread.
    OffThread::run(
        this, [events] { return linesOf(events); },
        [this, generation](Replayed r) {
            if (generation != m_generation)
                return; // another session was opened meanwhile
            m_replaying = false;
            m_callInputs.insert(r.inputs);
            for (const auto &[callId, tool] : r.calls)
                tabFor(callId, tool);
            for (const auto &[callId, ok] : r.finished) // a stored session's tabs say how each call ended
                markFinished(callId, ok);
            m_egressLines = r.egressLines;
            m_model->reset(std::move(r.lines));
            for (const Event &e : std::exchange(m_heldLive, {}))
                apply(e);
            updateEmptyState();
            if (m_follow->isChecked())
                m_list->scrollToBottom();
        });
}

} // namespace airlock
