// airlock.json and policy files through the strict readers: any bytes give a
// config or an error, never a crash or a hang, and what is accepted has every
// object member the text had — a duplicated key is never silently accepted.

#include "core/project/PolicyFile.h"
#include "core/project/ProjectConfig.h"
#include "core/project/StrictJson.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cstdint>
#include <cstdlib>

namespace {

qsizetype members(const QJsonValue &v)
{
    qsizetype n = 0;
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        n += o.size();
        for (auto it = o.begin(); it != o.end(); ++it)
            n += members(it.value());
    } else if (v.isArray()) {
        for (const QJsonValue &item : v.toArray())
            n += members(item);
    }
    return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString source = QStringLiteral("airlock.json");

    auto doc = airlock::StrictJson::parse(bytes, source);
    if (doc) {
        // Equal keys would collapse into one member: the counts would differ.
        if (members(doc->root) != doc->memberCount)
            std::abort();
        (void)doc->positionOf(QStringLiteral("policy.rules[0].when.command"));
    } else if (!doc.error().message.startsWith(source + QStringLiteral(": "))) {
        std::abort(); // every error names the file
    }

    auto config = airlock::ProjectConfig::parse(bytes, source);
    if (config) {
        if (!doc || !config->document.root.isObject())
            std::abort();
        if (config->policyRules.size() != config->rules.size())
            std::abort(); // a rule dropped on the way
    } else if (config.error().message.isEmpty()) {
        std::abort();
    }

    auto policy = airlock::PolicyFile::parse(bytes, QStringLiteral("policy.json"));
    if (policy && !doc)
        std::abort();
    return 0;
}
