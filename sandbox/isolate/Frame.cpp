#include "sandbox/isolate/Frame.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <sys/socket.h>
#include <unistd.h>

// macOS has no MSG_NOSIGNAL: there the app sets SO_NOSIGPIPE on its end of the
// socket (IsolateClient) and the helper ignores SIGPIPE.
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

namespace airlock::frame {
namespace {

// Reads exactly `size` bytes; 0 on success, 1 on end of stream before any byte,
// -1 on error or a stream that ends mid-way.
int readExactly(int fd, char *out, size_t size)
{
    size_t done = 0;
    while (done < size) {
        const ssize_t n = ::recv(fd, out + done, size - done, 0);
        if (n == 0)
            return done == 0 ? 1 : -1;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += size_t(n);
    }
    return 0;
}

} // namespace

QByteArray encode(const Frame &frame)
{
    const QByteArray header = QJsonDocument(frame.header).toJson(QJsonDocument::Compact);
    const std::optional<std::string> prefix =
        wire::encodeFramePrefix(size_t(header.size()), size_t(frame.body.size()), kBounds);
    if (!prefix)
        return {};
    QByteArray out;
    out.reserve(qsizetype(prefix->size()) + header.size() + frame.body.size());
    out.append(prefix->data(), qsizetype(prefix->size()));
    out.append(header);
    out.append(frame.body);
    return out;
}

Status write(int fd, const Frame &frame)
{
    const QByteArray bytes = encode(frame);
    if (bytes.isEmpty())
        return Error::make(
            Error::Code::BadInput,
            QStringLiteral("frame over the helper wire's bounds (body %1 bytes)").arg(frame.body.size()));
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.constData() + done, size_t(bytes.size() - done), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::make(
                Error::Code::Io,
                QStringLiteral("write to helper socket failed: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
        }
        done += n;
    }
    return {};
}

Result<Frame> read(int fd)
{
    char prefix[wire::kPrefixSize];
    const int rc = readExactly(fd, prefix, sizeof prefix);
    if (rc == 1)
        return Error::make(Error::Code::NotFound, QStringLiteral("end of stream"));
    if (rc < 0)
        return Error::make(Error::Code::Io, QStringLiteral("read from helper socket failed"));
    std::string why;
    const std::optional<wire::FrameSizes> sizes =
        wire::decodeFramePrefix(std::string_view(prefix, sizeof prefix), kBounds, &why);
    if (!sizes)
        return Error::make(Error::Code::Corrupt, QString::fromStdString(why));
    const quint32 headerSize = sizes->header;
    const quint32 bodySize = sizes->payload;
    QByteArray header(qsizetype(headerSize), Qt::Uninitialized);
    Frame frame;
    frame.body = QByteArray(qsizetype(bodySize), Qt::Uninitialized);
    if (readExactly(fd, header.data(), headerSize) != 0 ||
        (bodySize > 0 && readExactly(fd, frame.body.data(), bodySize) != 0))
        return Error::make(Error::Code::Io, QStringLiteral("helper socket closed mid-frame"));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(header, &parseError);
    if (!doc.isObject())
        return Error::make(Error::Code::Corrupt,
                           QStringLiteral("frame header is not a JSON object: %1").arg(parseError.errorString()));
    frame.header = doc.object();
    return frame;
}

} // namespace airlock::frame
