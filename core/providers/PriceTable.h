#pragma once

// Estimated cost of a turn from its token usage. Prices are USD per million tokens
// by model id (resources/pricing.json is built in; a file of the same form
// overrides or extends it). A model id matches an entry exactly, or with a date or
// "@date" suffix ("claude-sonnet-4-5-20250929"), never by a looser prefix:
// "claude-opus-5-5" is not "claude-opus-5".

#include "providers/StreamItem.h"
#include "util/Result.h"

#include <QHash>

#include <optional>

namespace airlock {

struct ModelPrice {
    double input = 0; // uncached input
    double output = 0;
    double cacheWrite = 0; // 5-minute cache writes
    double cacheRead = 0;
};

class PriceTable {
public:
    static PriceTable builtIn();
    static Result<PriceTable> fromJson(const QByteArray &json, const QString &source);
    // Entries of `overrides` replace or add to this table's.
    void merge(const PriceTable &overrides);

    std::optional<ModelPrice> priceFor(const QString &model) const;
    // Nothing when the model has no price (local servers, unknown models).
    std::optional<double> costUsd(const QString &model, const TokenUsage &usage) const;

private:
    QHash<QString, ModelPrice> m_prices;
};

} // namespace airlock
