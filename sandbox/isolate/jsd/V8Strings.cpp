#include "sandbox/isolate/jsd/V8Strings.h"

namespace airlock::jsd {

v8::Local<v8::String> str(v8::Isolate *isolate, const char *text)
{
    return v8::String::NewFromUtf8(isolate, text).ToLocalChecked();
}

v8::Local<v8::String> str(v8::Isolate *isolate, const QByteArray &utf8)
{
    return v8::String::NewFromUtf8(isolate, utf8.constData(), v8::NewStringType::kNormal, int(utf8.size()))
        .ToLocalChecked();
}

v8::Local<v8::String> str(v8::Isolate *isolate, const QString &text)
{
    return str(isolate, text.toUtf8());
}

QString qstr(v8::Isolate *isolate, v8::Local<v8::Value> value)
{
    if (value.IsEmpty())
        return {};
    v8::String::Utf8Value utf8(isolate, value);
    return *utf8 ? QString::fromUtf8(*utf8, utf8.length()) : QStringLiteral("(unprintable value)");
}

QString clip(QString text, qsizetype max)
{
    if (text.size() <= max)
        return text;
    const qsizetype all = text.size();
    text.truncate(max);
    return text + QStringLiteral("… (%1 characters in all)").arg(all);
}

QString withArticle(const QString &noun)
{
    const bool vowel = !noun.isEmpty() && QStringLiteral("AEIOUaeiou").contains(noun.front());
    return (vowel ? QStringLiteral("an ") : QStringLiteral("a ")) + noun;
}

} // namespace airlock::jsd
