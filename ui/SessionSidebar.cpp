#include "SessionSidebar.h"

#include "SessionListModel.h"

#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QSortFilterProxyModel>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace airlock {

SessionSidebar::SessionSidebar(SessionListModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_filter(new QSortFilterProxyModel(this)), m_search(new QLineEdit(this)),
      m_list(new QListView(this)), m_emptyState(new QLabel(this)), m_stack(new QStackedWidget(this))
{
    setObjectName(QStringLiteral("sessionSidebar"));
    m_filter->setSourceModel(model);
    m_filter->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_search->setPlaceholderText(tr("Search sessions"));
    m_search->setClearButtonEnabled(true);
    m_search->setObjectName(QStringLiteral("sessionSearch"));
    connect(m_search, &QLineEdit::textChanged, m_filter, &QSortFilterProxyModel::setFilterFixedString);

    m_list->setModel(m_filter);
    m_list->setObjectName(QStringLiteral("sessionList"));
    m_list->setUniformItemSizes(true);
    m_list->setEditTriggers(QAbstractItemView::NoEditTriggers);
    connect(m_list, &QListView::activated, this, [this](const QModelIndex &index) {
        Q_EMIT sessionActivated(index.data(SessionListModel::IdRole).toString());
    });

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

void SessionSidebar::updateState()
{
    if (!m_model->isLoaded()) {
        m_emptyState->setText(tr("Loading sessions…"));
        m_stack->setCurrentWidget(m_emptyState);
    } else if (!m_model->loadError().isEmpty()) {
        m_emptyState->setText(tr("Sessions could not be loaded:\n%1").arg(m_model->loadError()));
        m_stack->setCurrentWidget(m_emptyState);
    } else if (m_model->rowCount() == 0) {
        m_emptyState->setText(tr("No sessions yet.\n\nStart one from a terminal with\n"
                                 "airlock chat \"your first prompt\"\n\n"
                                 "Every message, tool call and approval is recorded here."));
        m_stack->setCurrentWidget(m_emptyState);
    } else {
        m_stack->setCurrentWidget(m_list);
    }
}

} // namespace airlock
