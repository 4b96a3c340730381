#include "core/project/PolicyFile.h"

#include "core/project/JsonPath.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>

namespace airlock {

void PolicyFile::parseRules(const StrictJsonDocument &doc, const QJsonValue &rules, const QString &arrayPath,
                            const QString &source, QList<PolicyRule> &out, QStringList &errors)
{
    if (!rules.isArray()) {
        errors << doc.describe(source, arrayPath, QStringLiteral("must be an array of rules"));
        return;
    }
    const QJsonArray array = rules.toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QString rulePath = jsonpath::index(arrayPath, i);
        if (!array.at(i).isObject()) {
            errors << doc.describe(source, rulePath, QStringLiteral("a rule must be an object"));
            continue;
        }
        QString at;
        // Unnamed rules are "<source>#<n>", n from 1, as PolicyEngine names them.
        auto rule = PolicyRule::fromJson(array.at(i).toObject(), QStringLiteral("%1#%2").arg(source).arg(i + 1), &at);
        if (!rule) {
            errors << doc.describe(source, jsonpath::join(rulePath, at), rule.error().message);
            continue;
        }
        rule->origin = source + QStringLiteral(": ") + rulePath;
        out.append(std::move(*rule));
    }
}

Result<PolicyEngine> PolicyFile::parse(const QByteArray &bytes, const QString &source)
{
    auto doc = StrictJson::parse(bytes, source);
    if (!doc)
        return doc.error();
    QStringList errors;
    QList<PolicyRule> rules;
    if (doc->root.isArray()) {
        parseRules(*doc, doc->root, QString(), source, rules, errors);
    } else if (doc->root.isObject()) {
        const QJsonObject top = doc->root.toObject();
        for (auto it = top.begin(); it != top.end(); ++it)
            if (it.key() != u"rules" && it.key() != u"$schema")
                errors << doc->describe(
                    source, jsonpath::key(QString(), it.key()),
                    QStringLiteral("unknown key \"%1\" (a policy is {\"rules\": [...]})").arg(it.key()));
        if (top.contains(u"$schema") && !top.value(u"$schema").isString())
            errors << doc->describe(source, QStringLiteral("$schema"), QStringLiteral("must be a string"));
        if (!top.contains(u"rules"))
            errors << doc->describe(source, QString(),
                                    QStringLiteral("a policy is {\"rules\": [...]} or an array of rules"));
        else
            parseRules(*doc, top.value(u"rules"), QStringLiteral("rules"), source, rules, errors);
    } else {
        errors << doc->describe(source, QString(),
                                QStringLiteral("a policy is {\"rules\": [...]} or an array of rules"));
    }
    if (!errors.isEmpty())
        return Error::make(Error::Code::BadInput, errors.join(u'\n'));
    PolicyEngine engine;
    engine.appendRules(rules);
    return engine;
}

Result<PolicyEngine> PolicyFile::load(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("cannot read policy %1: %2").arg(path, f.errorString()));
    // One byte over the limit is enough to refuse it; never read a huge file whole.
    return parse(f.read(StrictJson::kMaxBytes + 1), path);
}

} // namespace airlock
