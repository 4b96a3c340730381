#pragma once

// AWS Signature Version 4 for one HTTP request, as S3 (and every S3-compatible
// server: R2, MinIO, s3rver) checks it: the canonical request (method, URI as
// sent, sorted canonical query, the signed headers in lower case with their values
// trimmed, the payload's SHA-256), the string to sign ("AWS4-HMAC-SHA256", time,
// scope "yyyymmdd/region/service/aws4_request", the canonical request's hash), the
// key derived by HMAC-SHA256 from "AWS4" + secret through date, region, service
// and "aws4_request", and the Authorization header that carries the signature.
// Signed: host, content-md5, content-type, range and every x-amz-* header given.
// Pure: the caller gives the time and the keys; nothing is kept.

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QList>
#include <QString>

#include <utility>

namespace airlock {

using EgressSigV4Headers = QList<std::pair<QByteArray, QByteArray>>; // the same as HttpHeaderList

struct EgressSigV4Request {
    QByteArray method;          // upper case
    QByteArray path;            // as sent: already URI-encoded ("/pub/a%20b")
    QByteArray query;           // as sent, without "?" ("list-type=2&prefix=a%2F")
    QByteArray host;            // the Host header's value ("127.0.0.1:4568", "bucket.s3.amazonaws.com")
    EgressSigV4Headers headers; // the request's other headers; those signed are picked out
    QByteArray payloadHash;     // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
    QDateTime time;             // UTC
    QString region, service;    // "auto" | "us-east-1"…, "s3"
    QByteArray accessKeyId;
    QByteArray secretAccessKey;
};

class EgressSigV4 {
public:
    // Hex SHA-256 (lower case), for the payload hash.
    static QByteArray sha256Hex(QByteArrayView data);
    // AWS's UriEncode: every byte but A–Z a–z 0–9 - . _ ~ as %XX (upper case);
    // "/" kept when `keepSlash` (object keys in paths).
    static QByteArray uriEncode(QByteArrayView bytes, bool keepSlash);
    // The pieces, for tests and error messages.
    static QByteArray canonicalQuery(const QByteArray &query);
    static QByteArray canonicalRequest(const EgressSigV4Request &r, QByteArray *signedHeaders = nullptr);
    static QByteArray stringToSign(const EgressSigV4Request &r);
    static QByteArray signature(const EgressSigV4Request &r);
    // The headers to add to the request: x-amz-date, x-amz-content-sha256 and
    // Authorization (in that order).
    static EgressSigV4Headers sign(const EgressSigV4Request &r);
};

} // namespace airlock
