#pragma once

// The chat's model picker: an editable list of model names, suggestions first
// from the price table, then what the endpoint serves (its catalog, fetched off the
// UI thread once per endpoint when the list is first opened). A model is taken only
// when picked from the open list or confirmed with Enter; no completion, and the
// wheel and arrow keys do not step through models.

#include "core/agent/PriceTable.h"
#include "core/providers/ProviderConfig.h"

#include <QComboBox>

#include <optional>

namespace airlock {

class ModelPicker final : public QComboBox {
    Q_OBJECT
public:
    explicit ModelPicker(QWidget *parent = nullptr);

    // Asks `provider`'s endpoint for its models, unless the list came from it already.
    void listModelsFrom(const ProviderConfig &provider);
    // Shows `model` as the one in effect, without choosing it.
    void showModel(const QString &model);
    // Back to "the model from Settings", without choosing anything.
    void resetChoice();
    // Suggests only `kind`'s priced models: an Anthropic endpoint never offers GPT names.
    void setProvider(ProviderKind kind);
    // Why the endpoint's list could not be had (empty: it was, or was not asked).
    const QString &listError() const { return m_listError; }

Q_SIGNALS:
    // The person chose `model` (as typed: the receiver trims it).
    void modelChosen(const QString &model);
    // The list opened: a moment to fetch the endpoint's models.
    void listOpened();
    // The endpoint answered: `error` is empty when its models are in the list.
    void listed(const QString &error);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    // The priced names of the provider (all of them while it is not known).
    QStringList suggestions() const;
    // Rebuilds the list: an empty first item, `names`, then a line saying why the
    // endpoint's own list is missing, if it is.
    void fill(const QStringList &names);

    PriceTable m_prices;
    std::optional<ProviderKind> m_provider;
    QStringList m_listed; // what the endpoint served
    QString m_listError;
    QString m_modelsListedFrom;     // the endpoint the list came from
    bool m_pickingFromList = false; // the list is open
};

} // namespace airlock
