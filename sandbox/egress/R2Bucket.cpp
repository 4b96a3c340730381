#include "sandbox/egress/R2Bucket.h"

#include "core/egress/EgressSigV4.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QLocale>
#include <QXmlStreamReader>

namespace airlock {

namespace {

Error badArgument(const QString &binding, const QString &operation, const QString &why)
{
    return Error::make(Error::Code::BadInput, QStringLiteral("r2 %1: %2: %3").arg(binding, operation, why));
}

QByteArray header(const EgressResponse &r, const QByteArray &name)
{
    for (const auto &[n, v] : r.headers)
        if (n.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    return {};
}

bool hasHeader(const EgressResponse &r, const QByteArray &name)
{
    for (const auto &[n, v] : r.headers)
        if (n.compare(name, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

QDateTime parseHttpDate(QByteArray text)
{
    text = text.trimmed();
    if (text.endsWith(" GMT") || text.endsWith(" UTC"))
        text = text.chopped(4) + " +0000";
    QDateTime t = QDateTime::fromString(QString::fromLatin1(text), Qt::RFC2822Date);
    if (!t.isValid())
        t = QDateTime::fromString(QString::fromLatin1(text), Qt::ISODateWithMs);
    return t;
}

QByteArray httpDate(const QDateTime &t)
{
    return QLocale::c().toString(t.toUTC(), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'")).toLatin1();
}

// A time as R2 takes it in JSON: milliseconds since the epoch, or a date string.
std::optional<QDateTime> timeFrom(const QJsonValue &v)
{
    if (v.isDouble())
        return QDateTime::fromMSecsSinceEpoch(qint64(v.toDouble()), Qt::UTC);
    if (v.isString()) {
        QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
        if (!t.isValid())
            t = parseHttpDate(v.toString().toLatin1());
        if (t.isValid())
            return t;
    }
    return std::nullopt;
}

// A header value the sandbox gave: printable ASCII and tabs only, so nothing can
// split the request or be re-encoded on the way.
bool headerSafe(const QString &v)
{
    for (QChar c : v)
        if ((c.unicode() < 0x20 && c != u'\t') || c.unicode() > 0x7e)
            return false;
    return true;
}

bool isToken(const QString &s)
{
    if (s.isEmpty())
        return false;
    for (QChar c : s) {
        const bool ok = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') ||
                        QStringView(u"!#$%&'*+-.^_`|~").contains(c);
        if (!ok)
            return false;
    }
    return true;
}

QString unquoteEtag(QByteArray etag)
{
    etag = etag.trimmed();
    if (etag.startsWith("W/"))
        etag = etag.mid(2);
    if (etag.size() >= 2 && etag.startsWith('"') && etag.endsWith('"'))
        etag = etag.mid(1, etag.size() - 2);
    return QString::fromLatin1(etag);
}

bool isHexMd5(const QString &s)
{
    if (s.size() != 32)
        return false;
    for (QChar c : s)
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F')))
            return false;
    return true;
}

// The httpMetadata keys and the headers that carry them.
struct MetaHeader {
    const char *key;
    const char *header;
};
constexpr MetaHeader kMeta[] = {{"contentType", "Content-Type"},
                                {"contentLanguage", "Content-Language"},
                                {"contentDisposition", "Content-Disposition"},
                                {"contentEncoding", "Content-Encoding"},
                                {"cacheControl", "Cache-Control"}};

// onlyIf (R2Conditional) as conditional request headers.
Status conditionalHeaders(const QJsonValue &onlyIf, HttpHeaderList &headers, const QString &binding,
                          const QString &operation)
{
    if (onlyIf.isUndefined() || onlyIf.isNull())
        return {};
    if (!onlyIf.isObject())
        return badArgument(binding, operation, QStringLiteral("onlyIf must be an object"));
    const QJsonObject o = onlyIf.toObject();
    static const QStringList known{QStringLiteral("etagMatches"), QStringLiteral("etagDoesNotMatch"),
                                   QStringLiteral("uploadedBefore"), QStringLiteral("uploadedAfter")};
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!known.contains(it.key()))
            return badArgument(binding, operation,
                               QStringLiteral("unknown onlyIf key \"%1\" (known: %2)")
                                   .arg(it.key(), known.join(QStringLiteral(", "))));
        if (it.key().startsWith(u"etag")) {
            const QString etag = it.value().toString();
            if (!it.value().isString() || etag.isEmpty() || !headerSafe(etag) || etag.contains(u'"'))
                return badArgument(binding, operation,
                                   QStringLiteral("onlyIf.%1 must be an etag (without quotes)").arg(it.key()));
            const QByteArray quoted = etag == u"*" ? QByteArray("*") : '"' + etag.toLatin1() + '"';
            headers.append({it.key() == u"etagMatches" ? "If-Match" : "If-None-Match", quoted});
        } else {
            auto t = timeFrom(it.value());
            if (!t)
                return badArgument(
                    binding, operation,
                    QStringLiteral("onlyIf.%1 must be a time (ms since the epoch or a date)").arg(it.key()));
            headers.append({it.key() == u"uploadedBefore" ? "If-Unmodified-Since" : "If-Modified-Since", httpDate(*t)});
        }
    }
    return {};
}

// The text of each direct child element of the current element, in order.
struct XmlNode {
    QString name, text;
    QList<XmlNode> children;
    QString child(const QString &n) const
    {
        for (const XmlNode &c : children)
            if (c.name == n)
                return c.text;
        return {};
    }
};

XmlNode readNode(QXmlStreamReader &xml)
{
    XmlNode node;
    node.name = xml.name().toString();
    while (!xml.atEnd()) {
        const auto token = xml.readNext();
        if (token == QXmlStreamReader::StartElement)
            node.children << readNode(xml);
        else if (token == QXmlStreamReader::Characters)
            node.text += xml.text();
        else if (token == QXmlStreamReader::EndElement)
            break;
    }
    return node;
}

std::optional<XmlNode> parseXml(const QByteArray &body)
{
    QXmlStreamReader xml(body);
    while (!xml.atEnd()) {
        if (xml.readNext() == QXmlStreamReader::StartElement) {
            XmlNode root = readNode(xml);
            if (xml.hasError())
                return std::nullopt;
            return root;
        }
    }
    return std::nullopt;
}

} // namespace

Result<R2Bucket> R2Bucket::open(const EgressGate &gate, const QString &binding, const QString &sandbox,
                                const QString &callId)
{
    const EgressBinding *b = gate.policy().binding(binding);
    if (!b || b->type != EgressBinding::Type::R2)
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("r2 %1: no r2 binding of that name in airlock.json").arg(binding.left(100)));
    return R2Bucket(gate, binding, sandbox, callId);
}

R2Bucket::R2Bucket(const EgressGate &gate, QString binding, QString sandbox, QString callId)
    : m_gate(&gate), m_binding(std::move(binding)), m_sandbox(std::move(sandbox)), m_callId(std::move(callId))
{
}

Result<QByteArray> R2Bucket::encodeKey(const QString &key)
{
    const QByteArray utf8 = key.toUtf8();
    const auto bad = [&](const QString &why) {
        return Error::make(Error::Code::BadInput, QStringLiteral("the key \"%1\" %2").arg(key.left(200), why));
    };
    if (utf8.isEmpty())
        return bad(QStringLiteral("is empty"));
    if (utf8.size() > 1024)
        return bad(QStringLiteral("is longer than 1024 bytes"));
    if (key.startsWith(u'/'))
        return bad(QStringLiteral("starts with \"/\", which the gate's URLs cannot carry"));
    for (const QByteArray &segment : utf8.split('/'))
        if (segment == "." || segment == "..")
            return bad(QStringLiteral("has a \".\" or \"..\" segment, which URLs resolve away"));
    return QByteArray('/' + EgressSigV4::uriEncode(utf8, true));
}

Result<EgressResponse> R2Bucket::request(const QByteArray &method, const QByteArray &relativeUrl,
                                         HttpHeaderList headers, const QByteArray &body) const
{
    EgressRequest r;
    r.sandbox = m_sandbox;
    r.callId = m_callId;
    r.binding = m_binding;
    r.method = method;
    r.url = QString::fromLatin1(relativeUrl);
    r.headers = std::move(headers);
    r.body = body;
    r.redirect = EgressRequest::Redirect::Manual; // S3 answers; it does not redirect a signed request
    r.timeoutMs = timeoutMs;
    r.cancelled = cancelled;
    return m_gate->fetch(r);
}

Error R2Bucket::s3Error(const QString &operation, const EgressResponse &response) const
{
    QString code, message;
    if (auto xml = parseXml(response.body); xml && xml->name == u"Error") {
        code = xml->child(QStringLiteral("Code"));
        message = xml->child(QStringLiteral("Message"));
    }
    if (code.isEmpty()) {
        switch (response.status) {
        case 400:
            code = QStringLiteral("BadRequest");
            break;
        case 403:
            code = QStringLiteral("AccessDenied");
            break;
        case 404:
            code = QStringLiteral("NotFound");
            break;
        case 409:
            code = QStringLiteral("Conflict");
            break;
        default:
            code = QStringLiteral("HTTP%1").arg(response.status);
        }
        message = QString::fromLatin1(response.statusText).trimmed();
    }
    const Error::Code kind = response.status == 403 || response.status == 401 ? Error::Code::BadInput
                             : response.status == 404                         ? Error::Code::NotFound
                             : response.status >= 500                         ? Error::Code::Io
                                                                              : Error::Code::BadInput;
    return Error::make(kind, QStringLiteral("r2 %1: %2: %3%4 (HTTP %5)")
                                 .arg(m_binding, operation, code.left(100),
                                      message.isEmpty() ? QString() : QStringLiteral(": ") + message.left(500))
                                 .arg(response.status));
}

QJsonObject R2Bucket::objectFromHeaders(const QString &key, const EgressResponse &response) const
{
    QJsonObject o;
    o.insert(u"key", key);
    o.insert(u"version", QString::fromLatin1(header(response, "x-amz-version-id")));
    const QByteArray range = header(response, "Content-Range"); // "bytes 0-9/100"
    qint64 size = header(response, "Content-Length").toLongLong();
    if (const qsizetype slash = range.lastIndexOf('/'); slash >= 0 && range.mid(slash + 1) != "*")
        size = range.mid(slash + 1).toLongLong();
    o.insert(u"size", double(size));
    const QByteArray etag = header(response, "ETag");
    o.insert(u"etag", unquoteEtag(etag));
    o.insert(u"httpEtag", QString::fromLatin1(etag.trimmed()));
    if (const QDateTime t = parseHttpDate(header(response, "Last-Modified")); t.isValid())
        o.insert(u"uploaded", double(t.toMSecsSinceEpoch()));
    QJsonObject meta;
    for (const MetaHeader &m : kMeta)
        if (hasHeader(response, m.header))
            meta.insert(QLatin1String(m.key), QString::fromUtf8(header(response, m.header)));
    if (const QDateTime t = parseHttpDate(header(response, "Expires")); t.isValid())
        meta.insert(u"cacheExpiry", double(t.toMSecsSinceEpoch()));
    o.insert(u"httpMetadata", meta);
    QJsonObject custom;
    for (const auto &[n, v] : response.headers)
        if (n.size() > 11 && n.toLower().startsWith("x-amz-meta-"))
            custom.insert(QString::fromLatin1(n.mid(11).toLower()), QString::fromUtf8(v));
    o.insert(u"customMetadata", custom);
    const QByteArray storage = header(response, "x-amz-storage-class");
    o.insert(u"storageClass",
             storage.isEmpty() || storage == "STANDARD" ? QStringLiteral("Standard") : QString::fromLatin1(storage));
    QJsonObject checksums;
    if (isHexMd5(o.value(u"etag").toString()))
        checksums.insert(u"md5", o.value(u"etag").toString().toLower());
    o.insert(u"checksums", checksums);
    if (response.status == 206 && !range.isEmpty()) {
        // "bytes first-last/size"
        const QByteArray spec = range.mid(range.indexOf(' ') + 1, range.indexOf('/') - range.indexOf(' ') - 1);
        const qsizetype dash = spec.indexOf('-');
        const qint64 first = spec.left(dash).toLongLong(), last = spec.mid(dash + 1).toLongLong();
        o.insert(u"range", QJsonObject{{QStringLiteral("offset"), double(first)},
                                       {QStringLiteral("length"), double(last - first + 1)}});
    }
    return o;
}

Result<std::optional<QJsonObject>> R2Bucket::put(const QString &key, const QByteArray &value,
                                                 const QJsonObject &options) const
{
    const QString op = QStringLiteral("put \"%1\"").arg(key.left(200));
    auto path = encodeKey(key);
    if (!path)
        return badArgument(m_binding, op, path.error().message);
    static const QStringList known{QStringLiteral("httpMetadata"), QStringLiteral("customMetadata"),
                                   QStringLiteral("md5"), QStringLiteral("sha256"), QStringLiteral("onlyIf")};
    for (auto it = options.begin(); it != options.end(); ++it)
        if (!known.contains(it.key()))
            return badArgument(
                m_binding, op,
                QStringLiteral("unknown option \"%1\" (known: %2)").arg(it.key(), known.join(QStringLiteral(", "))));
    HttpHeaderList headers;
    QJsonObject meta;
    const QJsonValue metaValue = options.value(u"httpMetadata");
    if (!metaValue.isUndefined() && !metaValue.isObject())
        return badArgument(m_binding, op, QStringLiteral("httpMetadata must be an object"));
    meta = metaValue.toObject();
    for (auto it = meta.begin(); it != meta.end(); ++it) {
        const MetaHeader *m = nullptr;
        for (const MetaHeader &x : kMeta)
            if (it.key() == QLatin1String(x.key))
                m = &x;
        if (it.key() == u"cacheExpiry") {
            auto t = timeFrom(it.value());
            if (!t)
                return badArgument(m_binding, op,
                                   QStringLiteral("httpMetadata.cacheExpiry must be a time (ms or a date)"));
            headers.append({"Expires", httpDate(*t)});
            continue;
        }
        if (!m)
            return badArgument(m_binding, op,
                               QStringLiteral("unknown httpMetadata key \"%1\" (known: contentType, contentLanguage, "
                                              "contentDisposition, contentEncoding, cacheControl, cacheExpiry)")
                                   .arg(it.key()));
        if (!it.value().isString() || !headerSafe(it.value().toString()))
            return badArgument(m_binding, op,
                               QStringLiteral("httpMetadata.%1 must be a string of printable ASCII").arg(it.key()));
        headers.append({m->header, it.value().toString().toLatin1()});
    }
    if (!meta.contains(u"contentType"))
        headers.append({QByteArray("Content-Type"), QByteArray("application/octet-stream")});
    const QJsonValue customValue = options.value(u"customMetadata");
    if (!customValue.isUndefined() && !customValue.isObject())
        return badArgument(m_binding, op, QStringLiteral("customMetadata must be an object of strings"));
    const QJsonObject custom = customValue.toObject();
    for (auto it = custom.begin(); it != custom.end(); ++it) {
        if (!isToken(it.key()))
            return badArgument(m_binding, op,
                               QStringLiteral("customMetadata name \"%1\" must be a header token (letters, digits, "
                                              "\"-\", \"_\")")
                                   .arg(it.key().left(100)));
        if (!it.value().isString() || !headerSafe(it.value().toString()))
            return badArgument(m_binding, op,
                               QStringLiteral("customMetadata.%1 must be a string of printable ASCII").arg(it.key()));
        headers.append({"x-amz-meta-" + it.key().toLower().toLatin1(), it.value().toString().toLatin1()});
    }
    for (const char *sum : {"md5", "sha256"}) {
        const QJsonValue v = options.value(QLatin1String(sum));
        if (v.isUndefined())
            continue;
        const QByteArray hex = v.toString().toLatin1();
        const QByteArray raw = QByteArray::fromHex(hex);
        if (!v.isString() || raw.size() != (qstrcmp(sum, "md5") == 0 ? 16 : 32) || raw.toHex() != hex.toLower())
            return badArgument(m_binding, op, QStringLiteral("%1 must be a hex digest").arg(QLatin1String(sum)));
        headers.append({qstrcmp(sum, "md5") == 0 ? "Content-MD5" : "x-amz-checksum-sha256", raw.toBase64()});
    }
    if (Status s = conditionalHeaders(options.value(u"onlyIf"), headers, m_binding, op); !s)
        return s.error();

    auto response = request("PUT", *path, headers, value);
    if (!response)
        return Error::make(response.error().code,
                           QStringLiteral("r2 %1: %2: %3").arg(m_binding, op, response.error().message));
    if (response->status == 412)
        return std::optional<QJsonObject>();
    if (response->status / 100 != 2)
        return s3Error(op, *response);
    // The object as stored: the PUT answer carries its ETag; the rest is what was sent.
    QJsonObject o;
    o.insert(u"key", key);
    o.insert(u"version", QString::fromLatin1(header(*response, "x-amz-version-id")));
    o.insert(u"size", double(value.size()));
    const QByteArray etag = header(*response, "ETag");
    o.insert(u"etag", unquoteEtag(etag));
    o.insert(u"httpEtag", QString::fromLatin1(etag.trimmed()));
    const QDateTime date = parseHttpDate(header(*response, "Date"));
    o.insert(u"uploaded", double((date.isValid() ? date : QDateTime::currentDateTimeUtc()).toMSecsSinceEpoch()));
    QJsonObject storedMeta = meta;
    if (auto t = timeFrom(meta.value(u"cacheExpiry")))
        storedMeta.insert(u"cacheExpiry", double(t->toMSecsSinceEpoch()));
    if (!storedMeta.contains(u"contentType"))
        storedMeta.insert(u"contentType", QStringLiteral("application/octet-stream"));
    o.insert(u"httpMetadata", storedMeta);
    QJsonObject storedCustom;
    for (auto it = custom.begin(); it != custom.end(); ++it)
        storedCustom.insert(it.key().toLower(), it.value());
    o.insert(u"customMetadata", storedCustom);
    o.insert(u"storageClass", QStringLiteral("Standard"));
    QJsonObject checksums;
    if (isHexMd5(o.value(u"etag").toString()))
        checksums.insert(u"md5", o.value(u"etag").toString().toLower());
    o.insert(u"checksums", checksums);
    return std::optional<QJsonObject>(o);
}

Result<std::optional<R2ObjectBody>> R2Bucket::get(const QString &key, const QJsonObject &options) const
{
    const QString op = QStringLiteral("get \"%1\"").arg(key.left(200));
    auto path = encodeKey(key);
    if (!path)
        return badArgument(m_binding, op, path.error().message);
    HttpHeaderList headers;
    for (auto it = options.begin(); it != options.end(); ++it)
        if (it.key() != u"range" && it.key() != u"onlyIf")
            return badArgument(m_binding, op,
                               QStringLiteral("unknown option \"%1\" (known: range, onlyIf)").arg(it.key()));
    if (options.contains(u"range")) {
        const QJsonObject range = options.value(u"range").toObject();
        const auto number = [&](const char *name) -> std::optional<qint64> {
            const QJsonValue v = range.value(QLatin1String(name));
            if (v.isUndefined())
                return std::nullopt;
            return v.isDouble() && v.toDouble() >= 0 ? std::optional<qint64>(qint64(v.toDouble())) : -1;
        };
        const auto offset = number("offset"), length = number("length"), suffix = number("suffix");
        QByteArray spec;
        if ((offset && *offset < 0) || (length && *length <= 0) || (suffix && *suffix <= 0) ||
            (suffix && (offset || length)) || (!offset && !length && !suffix) || !options.value(u"range").isObject())
            return badArgument(m_binding, op,
                               QStringLiteral("range must be {offset, length}, {offset}, {length} or {suffix} with "
                                              "non-negative numbers"));
        if (suffix)
            spec = "bytes=-" + QByteArray::number(*suffix);
        else if (length)
            spec = "bytes=" + QByteArray::number(offset.value_or(0)) + '-' +
                   QByteArray::number(offset.value_or(0) + *length - 1);
        else
            spec = "bytes=" + QByteArray::number(*offset) + '-';
        headers.append({"Range", spec});
    }
    if (Status s = conditionalHeaders(options.value(u"onlyIf"), headers, m_binding, op); !s)
        return s.error();
    auto response = request("GET", *path, headers, {});
    if (!response)
        return Error::make(response.error().code,
                           QStringLiteral("r2 %1: %2: %3").arg(m_binding, op, response.error().message));
    if (response->status == 404)
        return std::optional<R2ObjectBody>();
    if (response->status == 304 || response->status == 412) {
        // The condition did not hold: the object without its body, as R2 answers.
        auto h = head(key);
        if (!h)
            return h.error();
        if (!*h)
            return std::optional<R2ObjectBody>();
        return std::optional<R2ObjectBody>(R2ObjectBody{**h, {}, false});
    }
    if (response->status / 100 != 2)
        return s3Error(op, *response);
    R2ObjectBody out{objectFromHeaders(key, *response), std::move(response->body), true};
    return std::optional<R2ObjectBody>(std::move(out));
}

Result<std::optional<QJsonObject>> R2Bucket::head(const QString &key) const
{
    const QString op = QStringLiteral("head \"%1\"").arg(key.left(200));
    auto path = encodeKey(key);
    if (!path)
        return badArgument(m_binding, op, path.error().message);
    auto response = request("HEAD", *path, {}, {});
    if (!response)
        return Error::make(response.error().code,
                           QStringLiteral("r2 %1: %2: %3").arg(m_binding, op, response.error().message));
    if (response->status == 404)
        return std::optional<QJsonObject>();
    if (response->status / 100 != 2)
        return s3Error(op, *response);
    return std::optional<QJsonObject>(objectFromHeaders(key, *response));
}

Status R2Bucket::remove(const QStringList &keys) const
{
    const QString op = keys.size() == 1 ? QStringLiteral("delete \"%1\"").arg(keys.first().left(200))
                                        : QStringLiteral("delete %1 keys").arg(keys.size());
    if (keys.isEmpty())
        return {};
    if (keys.size() > 1000)
        return badArgument(m_binding, op, QStringLiteral("at most 1000 keys in one delete"));
    for (const QString &k : keys)
        if (auto p = encodeKey(k); !p)
            return badArgument(m_binding, op, p.error().message);
    if (keys.size() == 1) {
        auto response = request("DELETE", *encodeKey(keys.first()), {}, {});
        if (!response)
            return Error::make(response.error().code,
                               QStringLiteral("r2 %1: %2: %3").arg(m_binding, op, response.error().message));
        if (response->status / 100 != 2 && response->status != 404)
            return s3Error(op, *response);
        return {};
    }
    QByteArray xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete><Quiet>true</Quiet>";
    for (const QString &k : keys)
        xml += "<Object><Key>" + k.toHtmlEscaped().toUtf8() + "</Key></Object>";
    xml += "</Delete>";
    const HttpHeaderList headers{{"Content-Type", "application/xml"},
                                 {"Content-MD5", QCryptographicHash::hash(xml, QCryptographicHash::Md5).toBase64()}};
    auto response = request("POST", "?delete", headers, xml);
    if (!response)
        return Error::make(response.error().code,
                           QStringLiteral("r2 %1: %2: %3").arg(m_binding, op, response.error().message));
    if (response->status / 100 != 2)
        return s3Error(op, *response);
    if (auto result = parseXml(response->body)) {
        for (const XmlNode &n : result->children)
            if (n.name == u"Error")
                return Error::make(Error::Code::Io, QStringLiteral("r2 %1: %2: \"%3\": %4: %5")
                                                        .arg(m_binding, op, n.child(QStringLiteral("Key")).left(200),
                                                             n.child(QStringLiteral("Code")).left(100),
                                                             n.child(QStringLiteral("Message")).left(500)));
    }
    return {};
}

Result<QJsonObject> R2Bucket::list(const QJsonObject &options) const
{
    const QString op = QStringLiteral("list");
    QList<std::pair<QByteArray, QByteArray>> query{{"list-type", "2"}};
    int limit = 1000;
    QStringList include;
    for (auto it = options.begin(); it != options.end(); ++it) {
        const QString &k = it.key();
        const QJsonValue &v = it.value();
        if (k == u"prefix" || k == u"delimiter" || k == u"cursor" || k == u"startAfter") {
            if (!v.isString())
                return badArgument(m_binding, op, QStringLiteral("%1 must be a string").arg(k));
            if (v.toString().isEmpty())
                continue;
            const QByteArray name = k == u"cursor"       ? QByteArray("continuation-token")
                                    : k == u"startAfter" ? QByteArray("start-after")
                                                         : k.toLatin1();
            query.append({name, v.toString().toUtf8()});
        } else if (k == u"limit") {
            if (!v.isDouble() || v.toDouble() < 1 || v.toDouble() > 1000 || v.toDouble() != double(int(v.toDouble())))
                return badArgument(m_binding, op, QStringLiteral("limit must be a whole number from 1 to 1000"));
            limit = int(v.toDouble());
        } else if (k == u"include") {
            for (const QJsonValue &x : v.toArray()) {
                if (x.toString() != u"httpMetadata" && x.toString() != u"customMetadata")
                    return badArgument(m_binding, op,
                                       QStringLiteral("include lists \"httpMetadata\" and \"customMetadata\" only"));
                include << x.toString();
            }
            if (!v.isArray())
                return badArgument(m_binding, op, QStringLiteral("include must be an array"));
        } else {
            return badArgument(m_binding, op,
                               QStringLiteral("unknown option \"%1\" (known: prefix, delimiter, cursor, startAfter, "
                                              "limit, include)")
                                   .arg(k));
        }
    }
    query.append({"max-keys", QByteArray::number(limit)});
    QByteArray url = "?";
    for (const auto &[n, v] : query) {
        if (url.size() > 1)
            url += '&';
        url += EgressSigV4::uriEncode(n, false) + '=' + EgressSigV4::uriEncode(v, false);
    }
    auto response = request("GET", url, {}, {});
    if (!response)
        return Error::make(response.error().code,
                           QStringLiteral("r2 %1: %2: %3").arg(m_binding, op, response.error().message));
    if (response->status / 100 != 2)
        return s3Error(op, *response);
    auto xml = parseXml(response->body);
    if (!xml || xml->name != u"ListBucketResult")
        return Error::make(Error::Code::Io,
                           QStringLiteral("r2 %1: list: the server's answer is not a ListBucketResult").arg(m_binding));
    QJsonArray objects, prefixes;
    for (const XmlNode &n : xml->children) {
        if (n.name == u"Contents") {
            QJsonObject o;
            const QString key = n.child(QStringLiteral("Key"));
            o.insert(u"key", key);
            o.insert(u"version", QString());
            o.insert(u"size", n.child(QStringLiteral("Size")).toDouble());
            const QString etag = unquoteEtag(n.child(QStringLiteral("ETag")).toLatin1());
            o.insert(u"etag", etag);
            o.insert(u"httpEtag", QString(u'"' + etag + u'"'));
            const QDateTime t = QDateTime::fromString(n.child(QStringLiteral("LastModified")), Qt::ISODateWithMs);
            if (t.isValid())
                o.insert(u"uploaded", double(t.toMSecsSinceEpoch()));
            const QString storage = n.child(QStringLiteral("StorageClass"));
            o.insert(u"storageClass",
                     storage.isEmpty() || storage == u"STANDARD" ? QStringLiteral("Standard") : storage);
            QJsonObject checksums;
            if (isHexMd5(etag))
                checksums.insert(u"md5", etag.toLower());
            o.insert(u"checksums", checksums);
            o.insert(u"httpMetadata", QJsonObject());
            o.insert(u"customMetadata", QJsonObject());
            if (!include.isEmpty()) {
                auto h = head(key);
                if (!h)
                    return h.error();
                if (*h) {
                    if (include.contains(QStringLiteral("httpMetadata")))
                        o.insert(u"httpMetadata", (*h)->value(u"httpMetadata"));
                    if (include.contains(QStringLiteral("customMetadata")))
                        o.insert(u"customMetadata", (*h)->value(u"customMetadata"));
                }
            }
            objects.append(o);
        } else if (n.name == u"CommonPrefixes") {
            prefixes.append(n.child(QStringLiteral("Prefix")));
        }
    }
    QJsonObject out;
    out.insert(u"objects", objects);
    const bool truncated = xml->child(QStringLiteral("IsTruncated")) == u"true";
    out.insert(u"truncated", truncated);
    if (truncated)
        out.insert(u"cursor", xml->child(QStringLiteral("NextContinuationToken")));
    out.insert(u"delimitedPrefixes", prefixes);
    return out;
}

} // namespace airlock
