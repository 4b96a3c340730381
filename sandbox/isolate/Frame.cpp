#include "sandbox/isolate/Frame.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

// macOS has no MSG_NOSIGNAL: there the app sets SO_NOSIGPIPE on its end of the
// socket (IsolateClient) and the helper ignores SIGPIPE.
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

namespace airlock::frame {
namespace {

void putU32(char *out, quint32 value)
{
    out[0] = char((value >> 24) & 0xff);
    out[1] = char((value >> 16) & 0xff);
    out[2] = char((value >> 8) & 0xff);
    out[3] = char(value & 0xff);
}

quint32 getU32(const unsigned char *in)
{
    return (quint32(in[0]) << 24) | (quint32(in[1]) << 16) | (quint32(in[2]) << 8) | quint32(in[3]);
}

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
    QByteArray out;
    out.resize(8);
    putU32(out.data(), quint32(header.size()));
    putU32(out.data() + 4, quint32(frame.body.size()));
    out.reserve(8 + header.size() + frame.body.size());
    out.append(header);
    out.append(frame.body);
    return out;
}

Status write(int fd, const Frame &frame)
{
    const QByteArray bytes = encode(frame);
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
    unsigned char prefix[8];
    const int rc = readExactly(fd, reinterpret_cast<char *>(prefix), sizeof prefix);
    if (rc == 1)
        return Error::make(Error::Code::NotFound, QStringLiteral("end of stream"));
    if (rc < 0)
        return Error::make(Error::Code::Io, QStringLiteral("read from helper socket failed"));
    const quint32 headerSize = getU32(prefix);
    const quint32 bodySize = getU32(prefix + 4);
    if (headerSize == 0 || headerSize > kMaxHeaderBytes || bodySize > kMaxBodyBytes)
        return Error::make(
            Error::Code::Corrupt,
            QStringLiteral("frame too large or empty (header %1 bytes, body %2 bytes)").arg(headerSize).arg(bodySize));
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
