#pragma once

// A test server written in JavaScript (tests/sandbox/egress/*.js) run by node with
// the npm packages the build installed from tests/support/npm
// (AIRLOCK_TEST_NODE_MODULES): started on a free port of 127.0.0.1, which it
// prints as "PORT n"; killed with the object.

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace airlock::test {

class NodeTestServer {
public:
    NodeTestServer(const QString &script, const QStringList &args, const QStringList &nodeOptions = {})
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("NODE_PATH"), qEnvironmentVariable("AIRLOCK_TEST_NODE_MODULES"));
        m_process.setProcessEnvironment(env);
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(QStringLiteral("node"),
                        nodeOptions +
                            QStringList{QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/egress/") + script} + args);
        if (!m_process.waitForStarted(10000))
            return;
        while (m_process.state() == QProcess::Running && !m_process.canReadLine())
            m_process.waitForReadyRead(200);
        const QByteArray line = m_process.readLine().trimmed();
        if (line.startsWith("PORT "))
            m_port = line.mid(5).toInt();
    }
    ~NodeTestServer()
    {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    NodeTestServer(const NodeTestServer &) = delete;
    NodeTestServer &operator=(const NodeTestServer &) = delete;

    bool ok() const { return m_port > 0; }
    int port() const { return m_port; }

private:
    QProcess m_process;
    int m_port = 0;
};

} // namespace airlock::test
