// Object storage through the egress gate against libcurl doing the same signed
// requests itself, to the same S3 server in the same run (s3rver behind a
// Signature V4 check, tests/sandbox/egress/s3_test_server.js, on 127.0.0.1):
//   - put + get of a 1 KiB object from a JavaScript tool (env.BUCKET.put/get:
//     isolate, op channel, R2Bucket, gate) vs libcurl's PUT + GET signed with
//     CURLOPT_AWS_SIGV4 (target <= 1.5x);
//   - a 50 MB put by the built-in host_file tool (workspace file, R2Bucket, gate)
//     vs libcurl's signed PUT of the same file (target >= 80 % of its throughput).

#include "BenchJson.h"

#include "BenchIsolate.h"
#include "app/BindingHostFactory.h"
#include "app/PlatformToolSandbox.h"
#include "sandbox/egress/EgressGate.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <vector>

using namespace airlock;

namespace {

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

size_t discard(char *, size_t size, size_t n, void *) noexcept
{
    return size * n;
}

struct Upload {
    const QByteArray *data;
    qsizetype at = 0;
};

size_t readUpload(char *out, size_t size, size_t n, void *user) noexcept
{
    auto *u = static_cast<Upload *>(user);
    const size_t chunk = std::min(size * n, size_t(u->data->size() - u->at));
    std::memcpy(out, u->data->constData() + u->at, chunk);
    u->at += qsizetype(chunk);
    return chunk;
}

// One request as a client holding the keys would make it: libcurl signs it.
void curlRequest(const QByteArray &url, const QByteArray *body)
{
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url.constData());
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, "aws:amz:auto:s3");
    curl_easy_setopt(c, CURLOPT_USERPWD, "S3RVER:S3RVER");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    Upload upload{body};
    // S3 wants the payload's hash signed (as the gate signs it): libcurl signs
    // the header it is given.
    const QByteArray hash = "x-amz-content-sha256: " +
                            QCryptographicHash::hash(body ? *body : QByteArray(), QCryptographicHash::Sha256).toHex();
    curl_slist *headers = curl_slist_append(nullptr, hash.constData());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (body) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, readUpload);
        curl_easy_setopt(c, CURLOPT_READDATA, &upload);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, curl_off_t(body->size()));
        headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
        headers = curl_slist_append(headers, "Expect:");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    }
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK || status != 200)
        qFatal("objects_bench: libcurl %s: %s (HTTP %ld)", url.constData(), curl_easy_strerror(rc), status);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    QTemporaryDir dir;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("NODE_PATH"), QStringLiteral(AIRLOCK_TEST_NODE_MODULES));
    QProcess s3;
    s3.setProcessEnvironment(env);
    s3.start(QStringLiteral("node"), {QStringLiteral("--openssl-legacy-provider"),
                                      QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/egress/s3_test_server.js"),
                                      dir.filePath(QStringLiteral("s3"))});
    QByteArray line;
    while (!line.contains('\n') && s3.waitForReadyRead(20000))
        line += s3.readAllStandardOutput();
    if (!line.startsWith("PORT "))
        qFatal("objects_bench: the S3 server did not start: %s", s3.readAllStandardError().constData());
    const int port = line.mid(5).trimmed().toInt();
    const QByteArray base = "http://127.0.0.1:" + QByteArray::number(port) + "/pub/";

    auto policy = EgressPolicy::fromJsonText(
        QStringLiteral(R"({"bindings": {"BUCKET": {"type": "bucket", "endpoint": "http://127.0.0.1:%1",
            "bucket": "pub", "region": "auto", "access_key": "S3RVER", "secret_key": "${secret:S3}"}}})")
            .arg(port)
            .toUtf8(),
        QStringLiteral("bench"));
    if (!policy)
        qFatal("objects_bench: %s", qPrintable(policy.error().message));
    auto made = EgressGate::create(
        *policy, [](const QString &) -> Result<QString> { return QStringLiteral("S3RVER"); },
        [](const EgressAuditRecord &) {});
    if (!made)
        qFatal("objects_bench: %s", qPrintable(made.error().message));
    std::shared_ptr<const EgressGate> gate = std::move(*made);

    // 1 KiB put + get from a tool.
    const std::unique_ptr<IsolateClient> isolate = startBenchIsolate("objects_bench");
    IsolateClient &client = *isolate;
    IsolateClient::Request call;
    call.file = QStringLiteral("objects.js");
    call.source = QByteArrayLiteral(R"(
defineTool({ name: "putget", inputSchema: z.object({ key: z.string() }), async run({ key }, { env }) {
  await env.BUCKET.put(key, "x".repeat(1024));
  const o = await env.BUCKET.get(key);
  return (await o.text()).length;
}});)");
    call.bindings = BindingHostFactory::make(gate);
    call.objectBindings = QJsonObject{{QStringLiteral("BUCKET"), QStringLiteral("r2")}};
    const QByteArray kib(1024, 'x');
    std::vector<double> tool, direct;
    QElapsedTimer t;
    for (int i = 0; i < 220; ++i) {
        const QByteArray key = "bench/small-" + QByteArray::number(i % 20);
        call.inputJson = QJsonDocument(QJsonObject{{QStringLiteral("key"), QString::fromLatin1(key)}})
                             .toJson(QJsonDocument::Compact);
        t.start();
        const IsolateClient::Reply reply = client.run(call);
        const double viaTool = double(t.nsecsElapsed()) / 1e6;
        if (!reply.ok || reply.value != "1024")
            qFatal("objects_bench: tool call failed: %s %s", qPrintable(reply.errorCode), qPrintable(reply.message));
        t.start();
        curlRequest(base + key + "-direct", &kib);
        curlRequest(base + key + "-direct", nullptr);
        const double viaCurl = double(t.nsecsElapsed()) / 1e6;
        if (i >= 20) { // warm-up: helper contexts, connections, the server's first writes
            tool.push_back(viaTool);
            direct.push_back(viaCurl);
        }
    }
    const double t50 = percentile(tool, 0.5), d50 = percentile(direct, 0.5);
    printBenchResult("objects_tool_put_get_1kib_p50_ms", t50, "ms", "libcurl signed PUT+GET p50 (ms)", d50, "");
    printBenchResult("objects_tool_put_get_1kib_ratio", t50 / d50, "ratio", "libcurl signed PUT+GET = 1", 1.0,
                     "<= 1.5");

    // 50 MB put: host_file from a workspace file vs libcurl's signed PUT.
    const QString workspace = dir.filePath(QStringLiteral("workspace"));
    QDir().mkpath(workspace);
    QByteArray big(50 * 1000 * 1000, '\0');
    for (qsizetype i = 0; i < big.size(); ++i)
        big[i] = char((i * 2654435761u) >> 24);
    QFile file(workspace + QStringLiteral("/big.bin"));
    if (!file.open(QIODevice::WriteOnly) || file.write(big) != big.size())
        qFatal("objects_bench: cannot write the 50 MB file");
    file.close();
    PlatformToolSandbox host(gate, workspace);
    double bestTool = 0, bestCurl = 0;
    for (int round = 0; round < 3; ++round) {
        t.start();
        auto outcome = host.run(SandboxCall{QStringLiteral("put-%1").arg(round), PlatformToolSandbox::kHostFile,
                                            QJsonObject{{QStringLiteral("key"), QStringLiteral("bench/big.bin")},
                                                        {QStringLiteral("path"), QStringLiteral("big.bin")}},
                                            300000},
                                {});
        const double toolSeconds = double(t.nsecsElapsed()) / 1e9;
        if (!outcome || !outcome->ok)
            qFatal("objects_bench: host_file failed: %s",
                   qPrintable(outcome ? outcome->error : outcome.error().message));
        t.start();
        curlRequest(base + "bench/big-direct.bin", &big);
        const double curlSeconds = double(t.nsecsElapsed()) / 1e9;
        bestTool = std::max(bestTool, 50.0 / toolSeconds);
        bestCurl = std::max(bestCurl, 50.0 / curlSeconds);
    }
    printBenchResult("objects_host_file_put_50mb_mb_per_s", bestTool, "MB/s", "libcurl signed PUT (MB/s)", bestCurl,
                     "");
    printBenchResult("objects_host_file_put_50mb_throughput_ratio", bestTool / bestCurl, "ratio",
                     "libcurl signed PUT = 1", 1.0, ">= 0.8");
    s3.kill();
    s3.waitForFinished(5000);
    return 0;
}
