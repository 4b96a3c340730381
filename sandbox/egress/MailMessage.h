#pragma once

// An e-mail as a tool writes it, and the RFC 5322 message built from it: the
// shape of env.EMAIL.send({...}):
//   {from: "bot@example.com" | {email, name}, to: "a@x.com" | [..], cc, bcc,
//    replyTo, subject, text, html, headers: {"X-Name": "value"},
//    attachments: [{filename, contentType, content (text) | base64}]}
// Built as: Date, Message-ID, From, To, Cc, Reply-To, Subject, MIME-Version, the
// extra headers, then the body: text/plain, text/html, or multipart/alternative of
// both; UTF-8, 7bit when the body is short-lined ASCII, else quoted-printable;
// CRLF line ends throughout. With attachments the whole is multipart/mixed: the
// body first, then each attachment base64-encoded with its filename (RFC 2231
// for non-ASCII names). Non-ASCII subjects, names and header values become
// RFC 2047 encoded words. Refused, never cleaned up: CR, LF or NUL in the subject,
// a name or a header value; addresses that are not plain (EgressMailAddress); an
// extra header the builder owns (From, To, Cc, Bcc, Subject, Date, Message-ID,
// MIME-Version, Content-*, Reply-To, Sender, Return-Path, Received, DKIM-*...).
// Bcc recipients are envelope recipients only: they never appear in the message.
// Pure.

#include "core/util/Result.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <utility>

namespace airlock {

struct MailAttachment {
    QString filename;    // no path, no line breaks, no NUL
    QString contentType; // "type/subtype"; empty: application/octet-stream
    QByteArray data;
};

struct MailMessage {
    QString from;     // plain address
    QString fromName; // display name, may be empty
    QStringList to, cc, bcc;
    QString replyTo;
    QString subject;
    QString text, html; // at least one
    QList<std::pair<QString, QString>> headers;
    QList<MailAttachment> attachments;
    // Largest total of attachments a message carries (before base64).
    static constexpr qsizetype kMaxAttachmentBytes = 25 << 20;

    // Reads the JSON shape above; every mistake is an error naming the field.
    static Result<MailMessage> fromJson(const QJsonObject &json);
    // Checks every field (as fromJson does for JSON input).
    Status validate() const;
    // Envelope recipients: to, cc and bcc, each address once.
    QStringList recipients() const;
    // The whole message. `messageId` is "<…@…>"; `boundary` separates the
    // alternatives (random per message in use; fixed in tests).
    Result<QByteArray> build(const QString &messageId, const QDateTime &date, const QByteArray &boundary) const;

    // Pieces, for raw messages and tests.
    static QByteArray encodeWords(const QString &text);        // RFC 2047 "B" words, folded with CRLF SP
    static QByteArray quotedPrintable(const QByteArray &utf8); // RFC 2045, CRLF hard breaks
    static QByteArray toCrlf(const QByteArray &text);          // bare LF / CR → CRLF
    static QByteArray rfc5322Date(const QDateTime &date);
};

} // namespace airlock
