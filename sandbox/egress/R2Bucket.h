#pragma once

// The host side of an r2 binding: the Workers R2 API (Cloudflare's R2Bucket) over
// any S3-compatible server, every request made through the session's egress gate
// with the binding named, so the gate decides it, signs it (SigV4, keys resolved
// host side and never returned) and records it. The isolate's env.NAME.put/get/
// head/delete/list become these calls; arguments and results are JSON in R2's
// shapes so they cross the op channel as they are.
//
// R2Object (JSON): {key, version, size, etag, httpEtag, uploaded (ms since the
// epoch), httpMetadata: {contentType, contentLanguage, contentDisposition,
// contentEncoding, cacheControl, cacheExpiry (ms)}, customMetadata: {name: value},
// storageClass, checksums: {md5 (hex, when the ETag is one)}, range (get with a
// range: {offset, length})}. Members absent on the server are absent here.
//
// Keys: 1 to 1024 bytes of UTF-8, each path segment URI-encoded per S3 ("/" kept);
// a key starting with "/" or with a "." or ".." segment is refused (the gate's
// URL canonical form would change which object it names).
// Errors: "r2 NAME: put \"key\": <S3 code>: <S3 message> (HTTP 403)", or the gate's
// refusal; never a credential. Blocking and thread-safe (call from a worker thread).

#include "sandbox/egress/EgressGate.h"

#include <QJsonObject>
#include <QStringList>

#include <atomic>
#include <memory>
#include <optional>

namespace airlock {

struct R2ObjectBody {
    QJsonObject object; // R2Object
    QByteArray body;
    bool hasBody = true; // false: onlyIf did not hold (R2 then returns the object without a body)
};

class R2Bucket {
public:
    // `gate` must outlive the bucket. `binding` must be an r2 binding of the gate's
    // policy. `sandbox` and `callId` go into every audit record.
    static Result<R2Bucket> open(const EgressGate &gate, const QString &binding, const QString &sandbox,
                                 const QString &callId);

    // put(key, value, {httpMetadata, customMetadata, md5, sha256, onlyIf}) → R2Object,
    // nullopt when onlyIf did not hold (HTTP 412). md5 / sha256: hex; the server
    // checks them. Without a contentType the object is stored as
    // application/octet-stream.
    Result<std::optional<QJsonObject>> put(const QString &key, const QByteArray &value,
                                           const QJsonObject &options = {}) const;
    // get(key, {range: {offset, length} | {offset} | {suffix}, onlyIf}) → nullopt when
    // there is no such object.
    Result<std::optional<R2ObjectBody>> get(const QString &key, const QJsonObject &options = {}) const;
    Result<std::optional<QJsonObject>> head(const QString &key) const;
    // delete(key | keys[]): a missing key is not an error (as in R2). Several keys
    // go in one DeleteObjects request (at most 1000).
    Status remove(const QStringList &keys) const;
    // list({prefix, delimiter, cursor, startAfter, limit (1–1000, default 1000),
    // include: ["httpMetadata", "customMetadata"]}) → {objects: [R2Object],
    // truncated, cursor (when truncated), delimitedPrefixes: [..]} (ListObjectsV2).
    // include costs one HEAD per object listed.
    Result<QJsonObject> list(const QJsonObject &options = {}) const;

    QString binding() const { return m_binding; }
    // "/pub/a%20b.txt" style: the key's path under the bucket, URI-encoded as S3 wants.
    static Result<QByteArray> encodeKey(const QString &key);

    int timeoutMs = 60000; // per request
    // Set from another thread (the call was stopped): the request in flight ends
    // at once with a "cancelled" error, and no further one starts.
    std::shared_ptr<std::atomic<bool>> cancelled;

private:
    R2Bucket(const EgressGate &gate, QString binding, QString sandbox, QString callId);
    Result<EgressResponse> request(const QByteArray &method, const QByteArray &relativeUrl, HttpHeaderList headers,
                                   const QByteArray &body) const;
    Error s3Error(const QString &operation, const EgressResponse &response) const;
    QJsonObject objectFromHeaders(const QString &key, const EgressResponse &response) const;

    const EgressGate *m_gate;
    QString m_binding, m_sandbox, m_callId;
};

} // namespace airlock
