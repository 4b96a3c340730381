#include "providers/PriceTable.h"

#include "PricingDefault.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace airlock {

PriceTable PriceTable::builtIn()
{
    auto table = fromJson(QByteArray(kDefaultPricingJson), QStringLiteral("resources/pricing.json"));
    if (!table)
        qFatal("built-in price table: %s", qPrintable(table.error().message));
    return *table;
}

Result<PriceTable> PriceTable::fromJson(const QByteArray &json, const QString &source)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    const QJsonValue models = doc.object().value(u"models");
    if (parseError.error != QJsonParseError::NoError || !models.isObject())
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("%1: a price table is {\"models\": {\"<model id>\": {...}}}").arg(source));
    PriceTable table;
    const QJsonObject all = models.toObject();
    for (auto it = all.begin(); it != all.end(); ++it) {
        const QJsonObject p = it.value().toObject();
        ModelPrice price;
        const auto field = [&](const char *key, double &into, bool required) {
            const QJsonValue v = p.value(QLatin1String(key));
            if (v.isDouble() && v.toDouble() >= 0) {
                into = v.toDouble();
                return true;
            }
            return !required && v.isUndefined();
        };
        if (!field("input", price.input, true) || !field("output", price.output, true) ||
            !field("cache_write", price.cacheWrite, false) || !field("cache_read", price.cacheRead, false))
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("%1: model '%2' needs non-negative \"input\" and \"output\" prices")
                                   .arg(source, it.key()));
        table.m_prices.insert(it.key(), price);
    }
    return table;
}

void PriceTable::merge(const PriceTable &overrides)
{
    for (auto it = overrides.m_prices.begin(); it != overrides.m_prices.end(); ++it)
        m_prices.insert(it.key(), it.value());
}

std::optional<ModelPrice> PriceTable::priceFor(const QString &model) const
{
    if (const auto it = m_prices.constFind(model); it != m_prices.constEnd())
        return *it;
    // Dated ids: "<id>-YYYYMMDD" (Anthropic API) or "<id>@YYYYMMDD" (Vertex AI).
    static const QRegularExpression dated(QStringLiteral("^(.+)[-@](\\d{8})$"));
    const QRegularExpressionMatch m = dated.match(model);
    if (m.hasMatch()) {
        if (const auto it = m_prices.constFind(m.captured(1)); it != m_prices.constEnd())
            return *it;
    }
    return std::nullopt;
}

std::optional<double> PriceTable::costUsd(const QString &model, const TokenUsage &usage) const
{
    const auto price = priceFor(model);
    if (!price)
        return std::nullopt;
    return (double(usage.inputTokens) * price->input + double(usage.outputTokens) * price->output +
            double(usage.cacheCreationInputTokens) * price->cacheWrite +
            double(usage.cacheReadInputTokens) * price->cacheRead) /
           1e6;
}

} // namespace airlock
