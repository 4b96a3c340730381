#include "core/egress/EgressSigV4.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>

#include <algorithm>

namespace airlock {

namespace {

QByteArray amzDate(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'")).toLatin1();
}

QByteArray scope(const EgressSigV4Request &r)
{
    return r.time.toUTC().toString(QStringLiteral("yyyyMMdd")).toLatin1() + '/' + r.region.toUtf8() + '/' +
           r.service.toUtf8() + "/aws4_request";
}

QByteArray hmac(const QByteArray &key, const QByteArray &data)
{
    return QMessageAuthenticationCode::hash(data, key, QCryptographicHash::Sha256);
}

// Header values trimmed, runs of spaces inside collapsed to one.
QByteArray trimmed(const QByteArray &value)
{
    return value.simplified();
}

bool isSigned(const QByteArray &lower)
{
    return lower == "content-md5" || lower == "content-type" || lower == "range" || lower.startsWith("x-amz-");
}

} // namespace

QByteArray EgressSigV4::sha256Hex(QByteArrayView data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
}

QByteArray EgressSigV4::uriEncode(QByteArrayView bytes, bool keepSlash)
{
    static const char hex[] = "0123456789ABCDEF";
    QByteArray out;
    out.reserve(bytes.size() * 3);
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved || (keepSlash && c == '/')) {
            out += char(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

QByteArray EgressSigV4::canonicalQuery(const QByteArray &query)
{
    QList<std::pair<QByteArray, QByteArray>> pairs;
    for (const QByteArray &part : query.split('&')) {
        if (part.isEmpty())
            continue;
        const qsizetype eq = part.indexOf('=');
        // Each name and value as AWS encodes it, whatever escapes the URL used.
        const QByteArray name = uriEncode(QByteArray::fromPercentEncoding(eq < 0 ? part : part.left(eq)), false);
        const QByteArray value =
            eq < 0 ? QByteArray() : uriEncode(QByteArray::fromPercentEncoding(part.mid(eq + 1)), false);
        pairs.append({name, value});
    }
    std::sort(pairs.begin(), pairs.end());
    QByteArray out;
    for (const auto &[n, v] : pairs) {
        if (!out.isEmpty())
            out += '&';
        out += n + '=' + v;
    }
    return out;
}

QByteArray EgressSigV4::canonicalRequest(const EgressSigV4Request &r, QByteArray *signedHeadersOut)
{
    QList<std::pair<QByteArray, QByteArray>> headers{{"host", trimmed(r.host)}};
    bool hasDate = false, hasHash = false;
    for (const auto &[name, value] : r.headers) {
        const QByteArray lower = name.toLower();
        if (lower == "host" || !isSigned(lower))
            continue;
        hasDate = hasDate || lower == "x-amz-date";
        hasHash = hasHash || lower == "x-amz-content-sha256";
        headers.append({lower, trimmed(value)});
    }
    if (!hasDate)
        headers.append({"x-amz-date", amzDate(r.time)});
    if (!hasHash)
        headers.append({"x-amz-content-sha256", r.payloadHash});
    std::stable_sort(headers.begin(), headers.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    // A name given twice is one line, its values joined by commas.
    QByteArray canonicalHeaders, signedHeaders;
    for (qsizetype i = 0; i < headers.size(); ++i) {
        if (i > 0 && headers[i].first == headers[i - 1].first) {
            canonicalHeaders.chop(1);
            canonicalHeaders += ',' + headers[i].second + '\n';
            continue;
        }
        canonicalHeaders += headers[i].first + ':' + headers[i].second + '\n';
        if (!signedHeaders.isEmpty())
            signedHeaders += ';';
        signedHeaders += headers[i].first;
    }
    if (signedHeadersOut)
        *signedHeadersOut = signedHeaders;
    return r.method + '\n' + (r.path.isEmpty() ? QByteArray("/") : r.path) + '\n' + canonicalQuery(r.query) + '\n' +
           canonicalHeaders + '\n' + signedHeaders + '\n' + r.payloadHash;
}

QByteArray EgressSigV4::stringToSign(const EgressSigV4Request &r)
{
    return "AWS4-HMAC-SHA256\n" + amzDate(r.time) + '\n' + scope(r) + '\n' + sha256Hex(canonicalRequest(r));
}

QByteArray EgressSigV4::signature(const EgressSigV4Request &r)
{
    const QByteArray date = r.time.toUTC().toString(QStringLiteral("yyyyMMdd")).toLatin1();
    QByteArray key = hmac("AWS4" + r.secretAccessKey, date);
    key = hmac(key, r.region.toUtf8());
    key = hmac(key, r.service.toUtf8());
    key = hmac(key, "aws4_request");
    return hmac(key, stringToSign(r)).toHex();
}

EgressSigV4Headers EgressSigV4::sign(const EgressSigV4Request &r)
{
    QByteArray signedHeaders;
    canonicalRequest(r, &signedHeaders);
    return {{"x-amz-date", amzDate(r.time)},
            {"x-amz-content-sha256", r.payloadHash},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=" + r.accessKeyId + '/' + scope(r) +
                                  ", SignedHeaders=" + signedHeaders + ", Signature=" + signature(r)}};
}

} // namespace airlock
