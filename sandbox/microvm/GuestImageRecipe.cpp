#include "sandbox/microvm/GuestImageRecipe.h"

#include "core/util/DebianPackageName.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QProcess>

namespace airlock {
namespace {

// Bumped when the way an image is built changes, so old images are not reused.
constexpr int kRecipeVersion = 1;

QString runQuiet(const QString &program, const QStringList &args)
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(10000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return {};
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
}

QString osReleaseValue(const QString &key)
{
    QFile f(QStringLiteral("/etc/os-release"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(QByteArray(key.toUtf8() + '='))) {
            QString v = QString::fromUtf8(line.mid(key.size() + 1)).trimmed();
            if (v.size() >= 2 && v.startsWith(QLatin1Char('"')) && v.endsWith(QLatin1Char('"')))
                v = v.mid(1, v.size() - 2);
            return v;
        }
    }
    return {};
}

// A host source file apt would read and that only names Debian's archive: third-party
// repositories need keyrings the guest does not have.
bool isDebianSource(const QByteArray &text)
{
    bool any = false;
    for (QByteArray line : text.split('\n')) {
        line = line.trimmed();
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        if (line.startsWith("URIs:") || line.startsWith("deb ") || line.startsWith("deb-src ")) {
            if (!line.contains("debian"))
                return false;
            any = true;
        }
        if (line.startsWith("Enabled:") && line.contains("no"))
            return false;
    }
    return any;
}

} // namespace

QStringList GuestImageRecipe::basePackages()
{
    return {QStringLiteral("bash"),
            QStringLiteral("coreutils"),
            QStringLiteral("findutils"),
            QStringLiteral("grep"),
            QStringLiteral("sed"),
            QStringLiteral("procps"),
            QStringLiteral("ca-certificates"),
            QStringLiteral("curl"),
            QStringLiteral("git"),
            QStringLiteral("python3"),
            QStringLiteral("make"),
            QStringLiteral("e2fsprogs")};
}

Result<GuestImageRecipe> GuestImageRecipe::fromHost(const QStringList &extra)
{
    GuestImageRecipe r;
    for (const QString &p : extra)
        if (Status s = checkDebianPackageName(p); !s)
            return s.error();
    QStringList all = basePackages() + extra;
    all.sort();
    all.removeDuplicates();
    r.packages = all;

    r.architecture = runQuiet(QStringLiteral("dpkg"), {QStringLiteral("--print-architecture")});
    if (r.architecture.isEmpty())
        r.architecture = QStringLiteral("amd64");

    // A Debian host: its own suite and sources. Anything else: Debian 12 from the archive.
    const bool debian = osReleaseValue(QStringLiteral("ID")) == QLatin1String("debian");
    r.suite = debian ? osReleaseValue(QStringLiteral("VERSION_CODENAME")) : QString();
    if (r.suite.isEmpty())
        r.suite = QStringLiteral("bookworm");
    if (debian) {
        QStringList candidates;
        if (QFile::exists(QStringLiteral("/etc/apt/sources.list")))
            candidates << QStringLiteral("/etc/apt/sources.list");
        const QDir d(QStringLiteral("/etc/apt/sources.list.d"));
        for (const QString &f :
             d.entryList({QStringLiteral("*.list"), QStringLiteral("*.sources")}, QDir::Files, QDir::Name))
            candidates << d.filePath(f);
        for (const QString &path : candidates) {
            QFile f(path);
            if (!f.open(QIODevice::ReadOnly))
                continue;
            const QByteArray text = f.readAll();
            if (!isDebianSource(text))
                continue;
            r.sourceFiles << path;
            r.sourcesText += path.toUtf8() + '\n' + text + '\n';
        }
    }
    if (r.sourceFiles.isEmpty())
        r.sourcesText = "deb http://deb.debian.org/debian " + r.suite.toUtf8() + " main\n";

    // A host that reads an archive snapshot turns off the Valid-Until check; so must the build.
    const QString dump = runQuiet(QStringLiteral("apt-config"), {QStringLiteral("dump")});
    for (const char *opt : {"Acquire::Check-Valid-Until", "Acquire::Check-Date"})
        if (dump.contains(QStringLiteral("%1 \"false\"").arg(QLatin1String(opt))))
            r.aptOptions << QStringLiteral("%1 \"false\"").arg(QLatin1String(opt));
    return r;
}

QString GuestImageRecipe::key() const
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(QByteArray(QByteArray("airlock-guest-image ") + QByteArray::number(kRecipeVersion) + '\n'));
    h.addData(QByteArray(suite.toUtf8() + '\n' + architecture.toUtf8() + '\n'));
    h.addData(sourcesText);
    h.addData(QByteArray(aptOptions.join(QLatin1Char('\n')).toUtf8() + '\n'));
    h.addData(packages.join(QLatin1Char(' ')).toUtf8());
    return QString::fromLatin1(h.result().toHex());
}

} // namespace airlock
