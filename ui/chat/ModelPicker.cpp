#include "ui/chat/ModelPicker.h"

#include "core/providers/ModelCatalog.h"
#include "core/util/OffThread.h"

#include <QAbstractItemView>
#include <QKeyEvent>
#include <QLineEdit>
#include <QSignalBlocker>
#include <QStandardItemModel>
#include <QTimer>

namespace airlock {

ModelPicker::ModelPicker(QWidget *parent) : QComboBox(parent), m_prices(PriceTable::builtin())
{
    setObjectName(QStringLiteral("modelPicker"));
    setEditable(true);
    setInsertPolicy(QComboBox::NoInsert);
    setMinimumContentsLength(22);
    setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    lineEdit()->setPlaceholderText(tr("model from Settings"));
    setToolTip(tr("The model for the next turns of this chat (the provider is set in Settings)"));
    // Suggestions: the models with known prices; any other name can be typed.
    fill(suggestions());
    setCurrentIndex(0);

    // Chosen, not typed or scrolled past: a model is taken when picked from the open
    // list or confirmed with Enter. No completion (it would choose for the person),
    // and the wheel and arrow keys do not step through models (see eventFilter).
    setCompleter(nullptr);
    installEventFilter(this);
    view()->installEventFilter(this);
    connect(this, &QComboBox::textActivated, this, [this](const QString &text) {
        if (m_pickingFromList)
            Q_EMIT modelChosen(text);
    });
    connect(lineEdit(), &QLineEdit::returnPressed, this, [this] { Q_EMIT modelChosen(currentText()); });
}

// Price-table names carry the provider in them: Anthropic's are claude-*.
QStringList ModelPicker::suggestions() const
{
    QStringList names;
    for (const QString &m : m_prices.models())
        if (!m_provider || (*m_provider == ProviderKind::Anthropic) == m.startsWith(QLatin1String("claude-")))
            names << m;
    return names;
}

void ModelPicker::fill(const QStringList &names)
{
    const QSignalBlocker quiet(this);
    const QString current = currentText();
    clear();
    addItem(QString());
    addItems(names);
    if (!m_listError.isEmpty()) {
        // Said in the list where the models would be, not only in a tooltip.
        addItem(tr("Couldn't list models: %1").arg(m_listError));
        if (auto *items = qobject_cast<QStandardItemModel *>(model()))
            items->item(count() - 1)->setFlags(Qt::ItemIsEnabled); // not selectable: not a model
    }
    setEditText(current);
}

void ModelPicker::setProvider(ProviderKind kind)
{
    if (m_provider == kind)
        return;
    m_provider = kind;
    m_listed.clear();
    m_listError.clear();
    fill(suggestions());
}

void ModelPicker::showModel(const QString &model)
{
    const QSignalBlocker quiet(this); // showing the model is not choosing one
    setEditText(model);
}

// A model picked for one session is not carried into another: each starts with
// the configured model, and a change is recorded in the session it applies to.
void ModelPicker::resetChoice()
{
    const QSignalBlocker quiet(this);
    setCurrentIndex(0);
    setEditText(QString());
}

// The picker offers what the endpoint serves (a local server's models, or the
// provider's current list), asked off the UI thread once per endpoint, when the
// list is first opened: no request the person did not ask for.
void ModelPicker::listModelsFrom(const ProviderConfig &provider)
{
    const QString endpoint = QStringLiteral("%1 %2").arg(int(provider.kind)).arg(provider.baseUrl);
    if (endpoint == m_modelsListedFrom)
        return;
    m_modelsListedFrom = endpoint;
    setProvider(provider.kind);
    // The list is filled on this picker's thread, and not at all once it is gone.
    OffThread::run(
        this, [provider] { return ModelCatalog::fetch(provider); },
        [this](const Result<QStringList> &models) {
            if (!models) {
                m_modelsListedFrom.clear(); // asked again next time the list opens
                m_listError = models.error().message;
                setToolTip(tr("The model for the next turns of this chat. Couldn't list models: %1").arg(m_listError));
                fill(m_listed.isEmpty() ? suggestions() : m_listed);
                Q_EMIT listed(m_listError);
                return;
            }
            m_listError.clear();
            // The endpoint's models first, then this provider's priced names it did not list.
            m_listed = *models;
            for (const QString &m : suggestions())
                if (!m_listed.contains(m))
                    m_listed << m;
            fill(m_listed);
            Q_EMIT listed(QString());
        });
}

bool ModelPicker::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == view()) {
        if (event->type() == QEvent::Show) {
            m_pickingFromList = true;
            Q_EMIT listOpened();
        } else if (event->type() == QEvent::Hide) {
            // The list's own activation comes before it hides.
            QTimer::singleShot(0, this, [this] { m_pickingFromList = false; });
        }
    } else if (watched == this) {
        if (event->type() == QEvent::Wheel)
            return true;
        if (event->type() == QEvent::KeyPress) {
            const int key = static_cast<QKeyEvent *>(event)->key();
            if (key == Qt::Key_Up || key == Qt::Key_Down || key == Qt::Key_PageUp || key == Qt::Key_PageDown)
                return true; // Alt+Down and F4 still open the list
        }
    }
    return QComboBox::eventFilter(watched, event);
}

} // namespace airlock
