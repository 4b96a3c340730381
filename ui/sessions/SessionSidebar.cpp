#include "ui/sessions/SessionSidebar.h"

#include "ui/sessions/SessionListModel.h"
#include "ui/sessions/SessionRowDelegate.h"

#include <QAction>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStackedWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace airlock {

SessionSidebar::SessionSidebar(SessionListModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_filter(new QSortFilterProxyModel(this)), m_search(new QLineEdit(this)),
      m_list(new QListView(this)), m_emptyState(new QLabel(this)), m_stack(new QStackedWidget(this))
{
    setObjectName(QStringLiteral("sessionSidebar"));
    m_filter->setSourceModel(model);
    // The model decides what matches (titles, and content through the store).
    m_filter->setFilterRole(SessionListModel::MatchRole);
    m_filter->setFilterFixedString(QStringLiteral("true"));

    m_search->setPlaceholderText(tr("Search sessions"));
    m_search->setClearButtonEnabled(true);
    m_search->setObjectName(QStringLiteral("sessionSearch"));
    m_search->setToolTip(tr("Searches titles and what was said in each session"));
    connect(m_search, &QLineEdit::textChanged, model, &SessionListModel::setSearch);

    m_list->setModel(m_filter);
    m_list->setObjectName(QStringLiteral("sessionList"));
    m_list->setUniformItemSizes(true);
    m_list->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_list->setItemDelegate(new SessionRowDelegate(m_list)); // owned by the list
    // One click opens a session, as does moving to it with the keys (the list has
    // focus: a row that becomes current because the list changed opens nothing).
    connect(m_list, &QListView::activated, this, [this](const QModelIndex &index) { open(index, true); });
    connect(m_list, &QListView::clicked, this, [this](const QModelIndex &index) { open(index, false); });
    connect(m_list->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &index) {
        if (m_list->hasFocus() && !m_selecting)
            open(index, false);
    });

    auto *rename = new QAction(tr("Rename…"), m_list); // owned by the list
    rename->setShortcut(QKeySequence(Qt::Key_F2));
    rename->setShortcutContext(Qt::WidgetShortcut);
    connect(rename, &QAction::triggered, this, &SessionSidebar::promptRename);
    auto *remove = new QAction(tr("Delete…"), m_list);
    remove->setShortcut(QKeySequence::Delete);
    remove->setShortcutContext(Qt::WidgetShortcut);
    connect(remove, &QAction::triggered, this, &SessionSidebar::confirmDelete);
    m_list->addActions({rename, remove});
    m_list->setContextMenuPolicy(Qt::ActionsContextMenu);
    connect(model, &SessionListModel::operationFailed, this,
            [this](const QString &message) { QMessageBox::warning(this, tr("Airlock"), message); });

    m_emptyState->setObjectName(QStringLiteral("sessionsEmptyState"));
    m_emptyState->setWordWrap(true);
    m_emptyState->setAlignment(Qt::AlignCenter);
    m_emptyState->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_emptyState->setMargin(12);

    m_stack->addWidget(m_list);
    m_stack->addWidget(m_emptyState);

    auto *layout = new QVBoxLayout(this); // parented to this widget
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_search);
    layout->addWidget(m_stack, 1);

    connect(model, &SessionListModel::loaded, this, &SessionSidebar::updateState);
    connect(model, &QAbstractItemModel::modelReset, this, &SessionSidebar::updateState);
    updateState();
}

void SessionSidebar::open(const QModelIndex &index, bool again)
{
    if (!index.isValid())
        return;
    const QString id = index.data(SessionListModel::IdRole).toString();
    // A click makes a row current and then reports the click: one opening, not two.
    if (!again && id == m_justOpened)
        return;
    m_justOpened = id;
    QTimer::singleShot(0, this, [this] { m_justOpened.clear(); });
    Q_EMIT sessionActivated(id);
}

void SessionSidebar::selectSession(const QString &sessionId)
{
    const int row = m_model->rowOf(sessionId);
    if (row < 0)
        return;
    m_selecting = true;
    m_list->setCurrentIndex(m_filter->mapFromSource(m_model->index(row, 0)));
    m_selecting = false;
}

QModelIndex SessionSidebar::currentSource() const
{
    return m_filter->mapToSource(m_list->currentIndex());
}

void SessionSidebar::promptRename()
{
    const QModelIndex index = currentSource();
    if (!index.isValid())
        return;
    const QString id = index.data(SessionListModel::IdRole).toString();
    auto *dialog = new QInputDialog(this); // deletes itself when closed
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setObjectName(QStringLiteral("renameSessionDialog"));
    dialog->setWindowTitle(tr("Rename session"));
    dialog->setLabelText(tr("Title:"));
    dialog->setTextValue(index.data(SessionListModel::TitleRole).toString());
    connect(dialog, &QInputDialog::textValueSelected, this, [this, id](const QString &title) {
        if (!title.trimmed().isEmpty())
            m_model->renameSession(id, title);
    });
    dialog->open();
}

void SessionSidebar::confirmDelete()
{
    const QModelIndex index = currentSource();
    if (!index.isValid())
        return;
    const QString id = index.data(SessionListModel::IdRole).toString();
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Delete session"),
                                tr("Delete \"%1\" and its %2 recorded events? This cannot be undone.")
                                    .arg(index.data(Qt::DisplayRole).toString())
                                    .arg(index.data(SessionListModel::EventCountRole).toLongLong()),
                                QMessageBox::Cancel, this); // deletes itself when closed
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName(QStringLiteral("deleteSessionDialog"));
    QPushButton *confirm = box->addButton(tr("Delete"), QMessageBox::DestructiveRole);
    box->setDefaultButton(QMessageBox::Cancel);
    connect(box, &QMessageBox::buttonClicked, this, [this, id, confirm](QAbstractButton *clicked) {
        if (clicked == confirm)
            m_model->deleteSession(id);
    });
    box->open();
}

void SessionSidebar::updateState()
{
    if (!m_model->isLoaded()) {
        m_emptyState->setText(tr("Loading sessions…"));
        m_stack->setCurrentWidget(m_emptyState);
    } else if (!m_model->loadError().isEmpty()) {
        m_emptyState->setText(tr("Sessions could not be loaded:\n%1").arg(m_model->loadError()));
        m_stack->setCurrentWidget(m_emptyState);
    } else if (m_model->rowCount() == 0) {
        m_emptyState->setText(tr("No sessions yet.\n\nStart one with Session › New session (Ctrl+N).\n\n"
                                 "Every message, tool call and approval is recorded here."));
        m_stack->setCurrentWidget(m_emptyState);
    } else {
        m_stack->setCurrentWidget(m_list);
    }
}

} // namespace airlock
