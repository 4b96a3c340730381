#include "core/secrets/SecretRedactor.h"

#include "core/secrets/SecretMatcher.h"
#include "core/secrets/SecretRedactingStream.h"

#include <QMutex>
#include <QMutexLocker>
#include <QSet>
#include <QUrl>

namespace airlock {

struct SecretRedactor::Shared {
    QMutex mutex;
    QList<std::pair<QString, QString>> values; // (name, value), in the order added
    Snapshot current;                          // rebuilt by add()
};

namespace {

enum class Slash { AsIs, Escaped };
enum class NonAscii { AsIs, LowerHex, UpperHex };

// `value` as it appears between the quotes of a JSON string, written by one of the
// encoders in use: the short escapes everyone writes, "/" and non-ASCII each way.
QByteArray jsonEscaped(const QString &value, Slash slash, NonAscii nonAscii, bool upperHex)
{
    QByteArray out;
    const auto hex = [&](char16_t unit) {
        QByteArray h = QByteArray::number(unit, 16).rightJustified(4, '0');
        out += "\\u" + (upperHex ? h.toUpper() : h);
    };
    for (qsizetype i = 0; i < value.size(); ++i) {
        const char16_t c = value[i].unicode();
        switch (c) {
        case u'"':
            out += "\\\"";
            continue;
        case u'\\':
            out += "\\\\";
            continue;
        case u'/':
            out += slash == Slash::Escaped ? "\\/" : "/";
            continue;
        case u'\b':
            out += "\\b";
            continue;
        case u'\f':
            out += "\\f";
            continue;
        case u'\n':
            out += "\\n";
            continue;
        case u'\r':
            out += "\\r";
            continue;
        case u'\t':
            out += "\\t";
            continue;
        default:
            break;
        }
        if (c < 0x20)
            hex(c);
        else if (c < 0x80)
            out += char(c);
        else if (nonAscii != NonAscii::AsIs)
            hex(c); // UTF-16 units: a pair for a character beyond the BMP, as JSON wants
        else if (QChar::isHighSurrogate(c) && i + 1 < value.size() && value[i + 1].isLowSurrogate())
            out += value.mid(i++, 2).toUtf8();
        else
            out += QString(value[i]).toUtf8();
    }
    return out;
}

QByteArray lowerHexEscapes(QByteArray percent)
{
    for (qsizetype i = 0; i + 2 < percent.size(); ++i) {
        if (percent[i] == '%') {
            percent[i + 1] = char(QChar::toLower(char16_t(percent[i + 1])));
            percent[i + 2] = char(QChar::toLower(char16_t(percent[i + 2])));
            i += 2;
        }
    }
    return percent;
}

} // namespace

QList<QByteArray> SecretRedactor::formsOf(const QString &value)
{
    const QByteArray utf8 = value.toUtf8();
    QList<QByteArray> forms{utf8};
    for (auto encoding : {QByteArray::Base64Encoding, QByteArray::Base64UrlEncoding})
        for (auto padding : {QByteArray::KeepTrailingEquals, QByteArray::OmitTrailingEquals})
            forms << utf8.toBase64(encoding | padding);
    // QUrl's unreserved set, and encodeURIComponent's (which also leaves !'()* alone).
    for (const QByteArray &keep : {QByteArray(), QByteArrayLiteral("!'()*")}) {
        const QByteArray upper = QUrl::toPercentEncoding(value, keep);
        forms << upper << lowerHexEscapes(upper);
        if (value.contains(u' ')) { // application/x-www-form-urlencoded
            const QByteArray plus = QUrl::toPercentEncoding(value, keep + ' ').replace(' ', '+');
            forms << plus << lowerHexEscapes(plus);
        }
    }
    for (Slash slash : {Slash::AsIs, Slash::Escaped})
        for (NonAscii nonAscii : {NonAscii::AsIs, NonAscii::LowerHex, NonAscii::UpperHex})
            for (bool upperHex : {false, true})
                forms << jsonEscaped(value, slash, nonAscii, upperHex || nonAscii == NonAscii::UpperHex);
    QList<QByteArray> unique;
    QSet<QByteArray> seen;
    for (const QByteArray &f : forms)
        if (!f.isEmpty() && !seen.contains(f)) {
            seen.insert(f);
            unique << f;
        }
    return unique;
}

SecretRedactor::SecretRedactor() : m_shared(std::make_shared<Shared>())
{
    m_shared->current.matcher = std::make_shared<const SecretMatcher>(QList<SecretMatcher::Pattern>{});
    m_shared->current.labels = std::make_shared<const QList<QByteArray>>();
}

Status SecretRedactor::add(const QString &name, const QString &value)
{
    if (name.isEmpty() || name.contains(u']') || name.contains(u'\n') || name.contains(u'\r'))
        return Error::make(Error::Code::BadInput, QStringLiteral("\"%1\" cannot name a secret").arg(name));
    if (value.size() < kMinLength)
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("the secret %1 is shorter than %2 characters, so it is not redacted from "
                                          "logs and events (it would replace ordinary text)")
                               .arg(name)
                               .arg(kMinLength));
    QMutexLocker lock(&m_shared->mutex);
    const std::pair<QString, QString> pair{name, value};
    if (m_shared->values.contains(pair))
        return {};
    m_shared->values.append(pair);
    // Longest values first, so where two equal forms come from different values the
    // longer value's name is kept; one label per name.
    QList<std::pair<QString, QString>> ordered = m_shared->values;
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const auto &a, const auto &b) { return a.second.size() > b.second.size(); });
    QList<QByteArray> labels;
    QStringList names;
    QList<SecretMatcher::Pattern> patterns;
    for (const auto &[n, v] : ordered) {
        qsizetype label = names.indexOf(n);
        if (label < 0) {
            label = names.size();
            names << n;
            labels << placeholder(n).toUtf8();
        }
        for (const QByteArray &form : formsOf(v))
            patterns.append({form, int(label)});
    }
    Snapshot next;
    next.matcher = std::make_shared<const SecretMatcher>(patterns);
    next.labels = std::make_shared<const QList<QByteArray>>(std::move(labels));
    next.generation = m_shared->current.generation + 1;
    m_shared->current = std::move(next);
    return {};
}

QStringList SecretRedactor::addAll(const QList<std::pair<QString, QString>> &values)
{
    QStringList refused;
    for (const auto &[name, value] : values)
        if (Status s = add(name, value); !s)
            refused << s.error().message;
    return refused;
}

SecretRedactor::Snapshot SecretRedactor::snapshot() const
{
    QMutexLocker lock(&m_shared->mutex);
    return m_shared->current;
}

bool SecretRedactor::isEmpty() const
{
    return snapshot().matcher->isEmpty();
}

QByteArray SecretRedactor::redact(const QByteArray &utf8) const
{
    if (isEmpty())
        return utf8;
    SecretRedactingStream stream(*this);
    QByteArray out = stream.push(utf8);
    out += stream.flush();
    return out;
}

QString SecretRedactor::redact(const QString &text) const
{
    if (isEmpty())
        return text;
    return QString::fromUtf8(redact(text.toUtf8()));
}

} // namespace airlock
