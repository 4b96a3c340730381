#include "core/agent/PriceTable.h"

#include "core/providers/StreamItem.h"

#include <QFile>
#include <QJsonDocument>

// Resources in a static library are registered explicitly (outside any namespace).
static void initPricingResource()
{
    Q_INIT_RESOURCE(pricing);
}

namespace airlock {

PriceTable PriceTable::builtin()
{
    initPricingResource();
    QFile f(QStringLiteral(":/airlock/pricing/prices.json"));
    f.open(QIODevice::ReadOnly);
    auto table = fromJson(f.readAll(), QStringLiteral("built-in prices"));
    return table ? *table : PriceTable();
}

Result<PriceTable> PriceTable::fromJson(const QByteArray &json, const QString &source)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("%1: not a JSON object (%2)").arg(source, err.errorString()));
    PriceTable t;
    t.m_models = doc.object().value(QLatin1String("models")).toObject();
    if (t.m_models.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("%1: no \"models\" prices").arg(source));
    return t;
}

Result<PriceTable> PriceTable::load(const QString &overridePath)
{
    QString path = overridePath;
    if (path.isEmpty())
        path = qEnvironmentVariable("AIRLOCK_PRICES");
    if (path.isEmpty())
        return builtin();
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("cannot read prices %1: %2").arg(path, f.errorString()));
    return fromJson(f.readAll(), path);
}

QStringList PriceTable::models() const
{
    return m_models.keys();
}

std::optional<double> PriceTable::costUsd(const QString &model, const TokenUsage &usage) const
{
    QString best;
    for (auto it = m_models.begin(); it != m_models.end(); ++it)
        if (model.startsWith(it.key()) && it.key().size() > best.size())
            best = it.key();
    if (best.isEmpty())
        return std::nullopt;
    const QJsonObject p = m_models.value(best).toObject();
    const double input = p.value(QLatin1String("input")).toDouble();
    auto price = [&](const char *key, double fallback) { return p.value(QLatin1String(key)).toDouble(fallback); };
    return (usage.inputTokens * input + usage.outputTokens * price("output", 0) +
            usage.cacheCreationInputTokens * price("cache_write", input) +
            usage.cacheReadInputTokens * price("cache_read", input)) /
           1e6;
}

} // namespace airlock
