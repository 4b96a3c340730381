#include "sandbox/egress/MailMessage.h"

#include "core/egress/EgressMailAddress.h"

#include <QJsonArray>
#include <QLocale>

namespace airlock {

namespace {

Error bad(const QString &field, const QString &why)
{
    return Error::make(Error::Code::BadInput, QStringLiteral("email: %1 %2").arg(field, why));
}

bool hasBreak(const QString &s)
{
    return s.contains(u'\r') || s.contains(u'\n') || s.contains(QChar(0));
}

bool printableAscii(const QString &s)
{
    for (QChar c : s)
        if (c.unicode() < 0x20 || c.unicode() > 0x7e)
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

bool ownedHeader(const QString &name)
{
    static const QStringList owned{QStringLiteral("from"),
                                   QStringLiteral("to"),
                                   QStringLiteral("cc"),
                                   QStringLiteral("bcc"),
                                   QStringLiteral("subject"),
                                   QStringLiteral("date"),
                                   QStringLiteral("message-id"),
                                   QStringLiteral("mime-version"),
                                   QStringLiteral("reply-to"),
                                   QStringLiteral("sender"),
                                   QStringLiteral("return-path"),
                                   QStringLiteral("received"),
                                   QStringLiteral("resent-from"),
                                   QStringLiteral("resent-to"),
                                   QStringLiteral("resent-cc"),
                                   QStringLiteral("resent-bcc"),
                                   QStringLiteral("resent-sender"),
                                   QStringLiteral("authentication-results"),
                                   QStringLiteral("dkim-signature")};
    const QString lower = name.toLower();
    return owned.contains(lower) || lower.startsWith(QStringLiteral("content-")) ||
           lower.startsWith(QStringLiteral("arc-")) || lower.startsWith(QStringLiteral("resent-"));
}

// A display name: a quoted string when it is plain ASCII, else encoded words.
QByteArray displayName(const QString &name)
{
    if (printableAscii(name)) {
        QString quoted = name;
        quoted.replace(u'\\', QStringLiteral("\\\\")).replace(u'"', QStringLiteral("\\\""));
        return '"' + quoted.toLatin1() + '"';
    }
    return MailMessage::encodeWords(name);
}

// "Name: a, b, c" folded before an address that would pass column 76.
QByteArray addressHeader(const QByteArray &name, const QStringList &addresses)
{
    QByteArray out = name + ": ";
    qsizetype column = out.size();
    for (qsizetype i = 0; i < addresses.size(); ++i) {
        const QByteArray a = addresses[i].toLatin1();
        if (i > 0) {
            out += ',';
            if (column + 2 + a.size() > 76) {
                out += "\r\n ";
                column = 1;
            } else {
                out += ' ';
                column += 2;
            }
        }
        out += a;
        column += a.size();
    }
    return out + "\r\n";
}

// A body part's encoding: 7bit for ASCII with lines of at most 998 bytes.
bool sevenBit(const QByteArray &crlf)
{
    qsizetype line = 0;
    for (char ch : crlf) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x80 || c == 0)
            return false;
        line = (c == '\n') ? 0 : line + 1;
        if (line > 998)
            return false;
    }
    return true;
}

// "type/subtype" of RFC 2045 tokens, no parameters.
bool isMediaType(const QString &s)
{
    const qsizetype slash = s.indexOf(u'/');
    return slash > 0 && s.size() <= 255 && isToken(s.left(slash)) && isToken(s.mid(slash + 1));
}

// filename="…" for printable ASCII, else RFC 2231's filename*=UTF-8''%XX (and an
// ASCII stand-in in name= for old readers).
QByteArray filenameParameters(const QString &name)
{
    bool ascii = true;
    for (QChar c : name)
        ascii = ascii && c.unicode() >= 0x20 && c.unicode() < 0x7f;
    if (ascii) {
        QByteArray quoted = name.toLatin1();
        quoted.replace("\\", "\\\\").replace("\"", "\\\"");
        return "filename=\"" + quoted + '"';
    }
    return "filename*=UTF-8''" + name.toUtf8().toPercentEncoding("!#$&+-.^_`|~");
}

QByteArray attachmentPart(const MailAttachment &a)
{
    const QByteArray type = a.contentType.isEmpty() ? QByteArray("application/octet-stream") : a.contentType.toLatin1();
    QByteArray part = "Content-Type: " + type + "\r\n";
    part += "Content-Disposition: attachment; " + filenameParameters(a.filename) + "\r\n";
    part += "Content-Transfer-Encoding: base64\r\n\r\n";
    const QByteArray encoded = a.data.toBase64();
    for (qsizetype i = 0; i < encoded.size(); i += 76)
        part += encoded.mid(i, 76) + "\r\n";
    return part;
}

// In a multipart the CRLF before a delimiter belongs to the delimiter (RFC 2046
// 5.1.1): a text that ends with a line break gets one more, or it would lose it.
QByteArray bodyPart(const QByteArray &type, const QString &text, bool inMultipart)
{
    QByteArray body = MailMessage::toCrlf(text.toUtf8());
    if (!body.endsWith("\r\n") || (inMultipart && !body.isEmpty()))
        body += "\r\n";
    const bool plain = sevenBit(body);
    return "Content-Type: " + type + "; charset=utf-8\r\nContent-Transfer-Encoding: " +
           (plain ? QByteArray("7bit") : QByteArray("quoted-printable")) + "\r\n\r\n" +
           (plain ? body : MailMessage::quotedPrintable(body));
}

Result<QStringList> addressesFrom(const QJsonObject &o, const QString &key)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return QStringList();
    QStringList out;
    if (v.isString()) {
        out << v.toString();
    } else if (v.isArray()) {
        for (const QJsonValue &x : v.toArray()) {
            if (!x.isString())
                return bad(key, QStringLiteral("must be an address or a list of addresses"));
            out << x.toString();
        }
    } else {
        return bad(key, QStringLiteral("must be an address or a list of addresses"));
    }
    return out;
}

} // namespace

QByteArray MailMessage::toCrlf(const QByteArray &text)
{
    QByteArray out;
    out.reserve(text.size() + text.size() / 40);
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\r') {
            out += "\r\n";
            if (i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    return out;
}

QByteArray MailMessage::encodeWords(const QString &text)
{
    // Each word at most 75 characters: "=?UTF-8?B?" + 60 base64 characters + "?=",
    // never splitting a character's bytes.
    QByteArray out, chunk;
    const auto flush = [&] {
        if (chunk.isEmpty())
            return;
        if (!out.isEmpty())
            out += "\r\n ";
        out += "=?UTF-8?B?" + chunk.toBase64() + "?=";
        chunk.clear();
    };
    for (qsizetype i = 0; i < text.size(); ++i) {
        qsizetype n = 1;
        if (text[i].isHighSurrogate() && i + 1 < text.size())
            n = 2;
        const QByteArray bytes = text.mid(i, n).toUtf8();
        i += n - 1;
        if (chunk.size() + bytes.size() > 45)
            flush();
        chunk += bytes;
    }
    flush();
    return out.isEmpty() ? QByteArray("=?UTF-8?B?"
                                      "?=")
                         : out;
}

QByteArray MailMessage::quotedPrintable(const QByteArray &crlf)
{
    static const char hex[] = "0123456789ABCDEF";
    QByteArray out;
    const QList<QByteArray> lines = crlf.split('\n');
    for (qsizetype l = 0; l < lines.size(); ++l) {
        QByteArray line = lines[l];
        if (line.endsWith('\r'))
            line.chop(1);
        if (l == lines.size() - 1 && line.isEmpty())
            break; // the text ended with a line break
        qsizetype column = 0;
        for (qsizetype i = 0; i < line.size(); ++i) {
            const auto c = static_cast<unsigned char>(line[i]);
            const bool last = i == line.size() - 1;
            QByteArray token;
            if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last))
                token = QByteArray(1, char(c));
            else
                token = QByteArray("=") + hex[c >> 4] + hex[c & 15];
            if (column + token.size() > 75) {
                out += "=\r\n";
                column = 0;
            }
            out += token;
            column += token.size();
        }
        out += "\r\n";
    }
    return out;
}

QByteArray MailMessage::rfc5322Date(const QDateTime &date)
{
    const QDateTime utc = date.toUTC();
    return QLocale::c().toString(utc, QStringLiteral("ddd, dd MMM yyyy hh:mm:ss")).toLatin1() + " +0000";
}

Result<MailMessage> MailMessage::fromJson(const QJsonObject &o)
{
    static const QStringList known{QStringLiteral("from"),       QStringLiteral("to"),      QStringLiteral("cc"),
                                   QStringLiteral("bcc"),        QStringLiteral("replyTo"), QStringLiteral("subject"),
                                   QStringLiteral("text"),       QStringLiteral("html"),    QStringLiteral("headers"),
                                   QStringLiteral("attachments")};
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!known.contains(it.key()))
            return bad(QStringLiteral("\"%1\"").arg(it.key().left(100)),
                       QStringLiteral("is not a field of a message (known: %1)").arg(known.join(QStringLiteral(", "))));
    MailMessage m;
    const QJsonValue from = o.value(u"from");
    if (from.isString()) {
        m.from = from.toString();
    } else if (from.isObject()) {
        m.from = from.toObject().value(u"email").toString();
        m.fromName = from.toObject().value(u"name").toString();
    } else {
        return bad(QStringLiteral("from"), QStringLiteral("must be an address or {email, name}"));
    }
    for (const auto &[key, list] : {std::pair{QStringLiteral("to"), &m.to}, std::pair{QStringLiteral("cc"), &m.cc},
                                    std::pair{QStringLiteral("bcc"), &m.bcc}}) {
        auto a = addressesFrom(o, key);
        if (!a)
            return a.error();
        *list = *a;
    }
    if (o.contains(u"replyTo")) {
        if (!o.value(u"replyTo").isString())
            return bad(QStringLiteral("replyTo"), QStringLiteral("must be an address"));
        m.replyTo = o.value(u"replyTo").toString();
    }
    for (const auto &[key, field] :
         {std::pair{QStringLiteral("subject"), &m.subject}, std::pair{QStringLiteral("text"), &m.text},
          std::pair{QStringLiteral("html"), &m.html}}) {
        const QJsonValue v = o.value(key);
        if (!v.isUndefined() && !v.isString())
            return bad(key, QStringLiteral("must be a string"));
        *field = v.toString();
    }
    if (!o.contains(u"subject"))
        return bad(QStringLiteral("subject"), QStringLiteral("is missing"));
    const QJsonValue headers = o.value(u"headers");
    if (!headers.isUndefined() && !headers.isObject())
        return bad(QStringLiteral("headers"), QStringLiteral("must be an object of strings"));
    const QJsonObject h = headers.toObject();
    for (auto it = h.begin(); it != h.end(); ++it) {
        if (!it.value().isString())
            return bad(QStringLiteral("headers.%1").arg(it.key().left(100)), QStringLiteral("must be a string"));
        m.headers.append({it.key(), it.value().toString()});
    }
    const QJsonValue attachments = o.value(u"attachments");
    if (!attachments.isUndefined() && !attachments.isArray())
        return bad(QStringLiteral("attachments"), QStringLiteral("must be a list of {filename, contentType, content "
                                                                 "| base64}"));
    const QJsonArray list = attachments.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString at = QStringLiteral("attachments[%1]").arg(i);
        const QJsonObject a = list.at(i).toObject();
        if (!list.at(i).isObject() || !a.value(u"filename").isString())
            return bad(at, QStringLiteral("must be {filename, contentType, content | base64}"));
        MailAttachment attachment;
        attachment.filename = a.value(u"filename").toString();
        attachment.contentType = a.value(u"contentType").toString();
        if (a.value(u"content").isString() == a.value(u"base64").isString())
            return bad(at, QStringLiteral("needs exactly one of \"content\" (text) or \"base64\""));
        if (a.value(u"content").isString()) {
            attachment.data = a.value(u"content").toString().toUtf8();
        } else {
            auto decoded = QByteArray::fromBase64Encoding(a.value(u"base64").toString().toLatin1(),
                                                          QByteArray::AbortOnBase64DecodingErrors);
            if (!decoded)
                return bad(at + QStringLiteral(".base64"), QStringLiteral("is not base64"));
            attachment.data = *decoded;
        }
        m.attachments << attachment;
    }
    if (Status s = m.validate(); !s)
        return s.error();
    return m;
}

Status MailMessage::validate() const
{
    if (auto a = EgressMailAddress::check(from); !a)
        return bad(QStringLiteral("from:"), a.error().message);
    if (hasBreak(fromName))
        return bad(QStringLiteral("from's name"), QStringLiteral("contains a line break or NUL"));
    if (to.isEmpty())
        return bad(QStringLiteral("to"), QStringLiteral("needs at least one address"));
    for (const auto &[field, list] : {std::pair{QStringLiteral("to"), &to}, std::pair{QStringLiteral("cc"), &cc},
                                      std::pair{QStringLiteral("bcc"), &bcc}})
        for (const QString &a : *list)
            if (auto c = EgressMailAddress::check(a); !c)
                return bad(field + u':', c.error().message);
    if (!replyTo.isEmpty())
        if (auto a = EgressMailAddress::check(replyTo); !a)
            return bad(QStringLiteral("replyTo:"), a.error().message);
    if (hasBreak(subject))
        return bad(QStringLiteral("subject"), QStringLiteral("contains a line break or NUL (headers cannot be added "
                                                             "through it)"));
    if (text.isEmpty() && html.isEmpty())
        return bad(QStringLiteral("text or html"), QStringLiteral("is needed: the message has no body"));
    if (text.contains(QChar(0)) || html.contains(QChar(0)))
        return bad(QStringLiteral("the body"), QStringLiteral("contains a NUL character"));
    for (const auto &[name, value] : headers) {
        if (!isToken(name))
            return bad(QStringLiteral("header \"%1\"").arg(name.left(100)), QStringLiteral("is not a header name"));
        if (ownedHeader(name))
            return bad(QStringLiteral("header %1").arg(name),
                       QStringLiteral("is set by the message itself (use the message's own fields)"));
        if (hasBreak(value))
            return bad(QStringLiteral("header %1").arg(name), QStringLiteral("contains a line break or NUL"));
    }
    qsizetype attached = 0;
    for (const MailAttachment &a : attachments) {
        const QString field = QStringLiteral("attachment \"%1\"").arg(a.filename.left(100));
        if (a.filename.isEmpty() || hasBreak(a.filename) || a.filename.contains(u'/') || a.filename.contains(u'\\'))
            return bad(field, QStringLiteral("needs a file name without a path, line breaks or NUL"));
        if (!a.contentType.isEmpty() && !isMediaType(a.contentType))
            return bad(
                field,
                QStringLiteral("has a content type that is not type/subtype: \"%1\"").arg(a.contentType.left(100)));
        attached += a.data.size();
    }
    if (attached > kMaxAttachmentBytes)
        return bad(QStringLiteral("attachments"),
                   QStringLiteral("are %1 MiB together; at most %2 MiB go in one message")
                       .arg(attached >> 20)
                       .arg(kMaxAttachmentBytes >> 20));
    return {};
}

QStringList MailMessage::recipients() const
{
    QStringList out;
    for (const QStringList *list : {&to, &cc, &bcc})
        for (const QString &a : *list) {
            auto c = EgressMailAddress::check(a);
            const QString checked = c ? *c : a;
            if (!out.contains(checked, Qt::CaseInsensitive))
                out << checked;
        }
    return out;
}

Result<QByteArray> MailMessage::build(const QString &messageId, const QDateTime &date, const QByteArray &boundary) const
{
    if (Status s = validate(); !s)
        return s.error();
    const auto checked = [](const QStringList &list) {
        QStringList out;
        for (const QString &a : list)
            out << *EgressMailAddress::check(a);
        return out;
    };
    QByteArray m;
    m += "Date: " + rfc5322Date(date) + "\r\n";
    m += "Message-ID: " + messageId.toLatin1() + "\r\n";
    const QByteArray sender = EgressMailAddress::check(from)->toLatin1();
    m += "From: " + (fromName.isEmpty() ? sender : displayName(fromName) + " <" + sender + '>') + "\r\n";
    m += addressHeader("To", checked(to));
    if (!cc.isEmpty())
        m += addressHeader("Cc", checked(cc));
    if (!replyTo.isEmpty())
        m += "Reply-To: " + EgressMailAddress::check(replyTo)->toLatin1() + "\r\n";
    m += "Subject: " + (printableAscii(subject) && subject.size() <= 900 ? subject.toLatin1() : encodeWords(subject)) +
         "\r\n";
    m += "MIME-Version: 1.0\r\n";
    for (const auto &[name, value] : headers)
        m += name.toLatin1() + ": " + (printableAscii(value) ? value.toLatin1() : encodeWords(value)) + "\r\n";
    // The body: one part, or the two alternatives. With attachments it is the
    // first part of a multipart/mixed whose boundary differs from the inner one.
    QByteArray body;
    if (!text.isEmpty() && !html.isEmpty()) {
        body += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
        body += "--" + boundary + "\r\n" + bodyPart("text/plain", text, true);
        body += "--" + boundary + "\r\n" + bodyPart("text/html", html, true);
        body += "--" + boundary + "--\r\n";
    } else {
        body += bodyPart(text.isEmpty() ? QByteArray("text/html") : QByteArray("text/plain"),
                         text.isEmpty() ? html : text, !attachments.isEmpty());
    }
    if (attachments.isEmpty())
        return QByteArray(m + body);
    const QByteArray outer = "mixed-" + boundary;
    m += "Content-Type: multipart/mixed; boundary=\"" + outer + "\"\r\n\r\n";
    m += "--" + outer + "\r\n" + body;
    for (const MailAttachment &a : attachments)
        m += "--" + outer + "\r\n" + attachmentPart(a);
    m += "--" + outer + "--\r\n";
    return m;
}

} // namespace airlock
