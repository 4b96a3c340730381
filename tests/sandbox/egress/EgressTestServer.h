#pragma once

// The egress tests' real server: tests/sandbox/egress/egress_test_server.py on a
// free port of 127.0.0.1, plain HTTP or TLS with a certificate made for this run
// (`openssl req -x509`, subjectAltName IP:127.0.0.1). Stopped with the object.

#include <QDir>
#include <QProcess>
#include <QStandardPaths>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace airlock::test {

// A self-signed certificate for 127.0.0.1 (and localhost), made with openssl.
struct TestCertificate {
    QString certFile, keyFile;

    static TestCertificate make(const QString &dir, const QString &name = QStringLiteral("server"))
    {
        TestCertificate c{dir + u'/' + name + QStringLiteral(".pem"), dir + u'/' + name + QStringLiteral(".key")};
        QProcess p;
        p.start(QStringLiteral("openssl"),
                {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
                 QStringLiteral("-nodes"), QStringLiteral("-keyout"), c.keyFile, QStringLiteral("-out"), c.certFile,
                 QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"),
                 QStringLiteral("-addext"), QStringLiteral("subjectAltName=IP:127.0.0.1,DNS:localhost")});
        p.waitForFinished(60000);
        if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
            return {};
        return c;
    }
};

class EgressTestServer {
public:
    // Empty cert: plain HTTP. `log`: the file every request's method, path and
    // headers are appended to (a JSON line each).
    explicit EgressTestServer(const TestCertificate &cert = {}, const QString &log = {})
    {
        QStringList args{QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/egress/egress_test_server.py")};
        if (!cert.certFile.isEmpty())
            args << QStringLiteral("--cert") << cert.certFile << QStringLiteral("--key") << cert.keyFile;
        if (!log.isEmpty())
            args << QStringLiteral("--log") << log;
        m_tls = !cert.certFile.isEmpty();
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(QStringLiteral("python3"), args);
        if (!m_process.waitForStarted(10000))
            return;
        while (m_process.state() == QProcess::Running && !m_process.canReadLine())
            m_process.waitForReadyRead(200);
        const QByteArray line = m_process.readLine().trimmed();
        if (line.startsWith("PORT "))
            m_port = line.mid(5).toInt();
    }
    ~EgressTestServer()
    {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    EgressTestServer(const EgressTestServer &) = delete;
    EgressTestServer &operator=(const EgressTestServer &) = delete;

    bool ok() const { return m_port > 0; }
    int port() const { return m_port; }
    QString origin() const
    {
        return (m_tls ? QStringLiteral("https://127.0.0.1:") : QStringLiteral("http://127.0.0.1:")) +
               QString::number(m_port);
    }
    QString url(const QString &path) const { return origin() + path; }

private:
    QProcess m_process;
    int m_port = 0;
    bool m_tls = false;
};

} // namespace airlock::test
