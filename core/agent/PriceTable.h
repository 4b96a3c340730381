#pragma once

// Estimated cost of model usage, from a table of prices per million tokens (the
// defaults ship in resources/pricing/prices.json; users override them). A model
// takes the price of the longest table key it starts with, so dated model names
// ("claude-sonnet-4-5-20250929") find their family. Local models cost nothing
// known: no estimate rather than a wrong one.

#include "core/util/Result.h"

#include <QJsonObject>

#include <optional>

namespace airlock {

struct TokenUsage;

class PriceTable {
public:
    static PriceTable builtin();
    static Result<PriceTable> fromJson(const QByteArray &json, const QString &source);
    // --prices FILE, else AIRLOCK_PRICES, else the built-in table.
    static Result<PriceTable> load(const QString &overridePath = QString());

    std::optional<double> costUsd(const QString &model, const TokenUsage &usage) const;
    // The model names (or name prefixes) the table prices, sorted.
    QStringList models() const;

private:
    QJsonObject m_models;
};

} // namespace airlock
