#include "sandbox/microvm/GuestImageBuilder.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>

#include <sys/stat.h>
#include <unistd.h>

namespace airlock {
namespace {

// mmdebstrap's step lines ("I: …") and how far along each one is.
struct StepMark {
    const char *prefix;
    int percent;
    const char *step;
};
constexpr StepMark kSteps[] = {
    {"I: running apt-get update", 5, "reading the apt sources"},
    {"I: downloading packages", 15, "downloading packages"},
    {"I: extracting archives", 35, "extracting packages"},
    {"I: installing essential packages", 45, "installing essential packages"},
    {"I: installing remaining packages", 60, "installing packages"},
    {"I: running --customize-hook", 82, "configuring the guest"},
    {"I: cleaning package lists", 85, "cleaning up"},
    {"I: creating ext2 image", 88, "writing the disk image"},
    {"I: success", 88, "writing the disk image"},
};

// Runs a program to its end, passing each line of its output to `line`.
Result<int> runLines(const QString &program, const QStringList &args, const std::function<void(const QString &)> &line)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
    env.insert(QStringLiteral("DEBIAN_FRONTEND"), QStringLiteral("noninteractive"));
    p.setProcessEnvironment(env);
    p.start(program, args);
    if (!p.waitForStarted(10000))
        return Error::make(Error::Code::Io, QStringLiteral("cannot start %1: %2").arg(program, p.errorString()));
    QByteArray partial;
    auto drain = [&] {
        partial += p.readAll();
        qsizetype nl;
        while ((nl = partial.indexOf('\n')) >= 0) {
            line(QString::fromUtf8(partial.left(nl)).trimmed());
            partial.remove(0, nl + 1);
        }
    };
    while (p.state() != QProcess::NotRunning) {
        p.waitForReadyRead(500);
        drain();
    }
    drain();
    if (!partial.isEmpty())
        line(QString::fromUtf8(partial).trimmed());
    if (p.exitStatus() != QProcess::NormalExit)
        return Error::make(Error::Code::Io, QStringLiteral("%1 crashed").arg(program));
    return p.exitCode();
}

qint64 allocatedBytes(const QString &path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? qint64(st.st_blocks) * 512 : 0;
}

// Bytes the files under `dir` take (du's apparent size), to size the file system.
qint64 treeBytes(const QString &dir)
{
    QProcess p;
    p.start(QStringLiteral("du"), {QStringLiteral("-s"), QStringLiteral("--block-size=1"), dir});
    p.waitForFinished(120000);
    return QString::fromUtf8(p.readAllStandardOutput()).section(QLatin1Char('\t'), 0, 0).toLongLong();
}

// Room to install more in a session (its disk may then grow beyond this at boot).
qint64 imageSizeFor(qint64 used)
{
    const qint64 mib = 1 << 20;
    const qint64 size = used + used / 4 + 512 * mib;
    return (size + 64 * mib - 1) / (64 * mib) * (64 * mib);
}

Error stepFailed(const QString &step, const QString &what)
{
    return Error::make(Error::Code::Io, QStringLiteral("building the guest image failed while %1: %2").arg(step, what));
}

} // namespace

QString GuestImageBuilder::missingTools()
{
    QStringList missing;
    const bool root = ::geteuid() == 0;
    for (const char *tool : {"mmdebstrap", "mkfs.ext4", "du"})
        if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty() &&
            !QFileInfo::exists(QStringLiteral("/sbin/") + QString::fromLatin1(tool)))
            missing << QString::fromLatin1(tool);
    if (!root) {
        for (const char *tool : {"newuidmap", "genext2fs", "tune2fs", "resize2fs"})
            if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty() &&
                !QFileInfo::exists(QStringLiteral("/sbin/") + QString::fromLatin1(tool)))
                missing << QString::fromLatin1(tool);
    }
    if (missing.isEmpty())
        return {};
    return QStringLiteral("%1 not found (install mmdebstrap, e2fsprogs%2: packaging/deps/microvm.apt)")
        .arg(missing.join(QStringLiteral(", ")), root ? QString() : QStringLiteral(", uidmap, genext2fs"));
}

QString GuestImageBuilder::explainFailure(const QString &step, const QStringList &lines)
{
    static const QRegularExpression locate(QStringLiteral("^E: Unable to locate package (\\S+)"));
    static const QRegularExpression candidate(QStringLiteral("^E: Package '([^']+)' has no installation candidate"));
    static const QRegularExpression version(QStringLiteral("^E: Version '([^']+)' for '([^']+)' was not found"));
    static const QRegularExpression unmet(QStringLiteral("^(\\S+) : Depends: (.+)$"));
    static const QRegularExpression fetch(QStringLiteral("^E: Failed to fetch (\\S+)\\s*(.*)$"));
    for (const QString &l : lines) {
        if (auto m = locate.match(l); m.hasMatch())
            return QStringLiteral("package \"%1\" was not found in the apt sources (check its spelling: "
                                  "apt-cache search %1)")
                .arg(m.captured(1));
        if (auto m = candidate.match(l); m.hasMatch())
            return QStringLiteral("package \"%1\" has no installable version in the apt sources").arg(m.captured(1));
        if (auto m = version.match(l); m.hasMatch())
            return QStringLiteral("version %1 of package \"%2\" is not in the apt sources")
                .arg(m.captured(1), m.captured(2));
    }
    for (const QString &l : lines)
        if (auto m = unmet.match(l); m.hasMatch())
            return QStringLiteral("package \"%1\" cannot be installed: it depends on %2")
                .arg(m.captured(1), m.captured(2).trimmed());
    for (const QString &l : lines)
        if (auto m = fetch.match(l); m.hasMatch())
            return QStringLiteral("could not download %1 (%2): is the apt mirror reachable?")
                .arg(m.captured(1), m.captured(2));
    for (auto it = lines.crbegin(); it != lines.crend(); ++it)
        if (it->startsWith(QLatin1String("E: ")))
            return QStringLiteral("%1 (while %2)").arg(it->mid(3), step);
    return QStringLiteral("mmdebstrap failed while %1%2")
        .arg(step, lines.isEmpty() ? QString() : QStringLiteral(": ") + lines.last());
}

Result<GuestImageBuilder::Built> GuestImageBuilder::build(const GuestImageRecipe &recipe, const QString &outDir,
                                                          const ProgressSink &progress)
{
    QElapsedTimer timer;
    timer.start();
    if (const QString missing = missingTools(); !missing.isEmpty())
        return Error::make(Error::Code::NotFound, QStringLiteral("cannot build the guest image: %1").arg(missing));
    auto report = [&](int pct, const QString &step) {
        if (progress)
            progress(pct, step);
    };
    QDir(outDir).removeRecursively();
    if (!QDir().mkpath(outDir))
        return Error::make(Error::Code::Io, QStringLiteral("cannot create %1").arg(outDir));
    const bool root = ::geteuid() == 0;
    const QString image = outDir + QStringLiteral("/root.img");
    const QString tree = outDir + QStringLiteral("/tree");
    const QString ext2 = outDir + QStringLiteral("/root.ext2");

    // The guest gets no network and no apt caches; /workspace is where the share is mounted.
    const QString hook = QStringLiteral(
        "rm -rf \"$1\"/var/cache/apt/archives/*.deb \"$1\"/var/lib/apt/lists/* \"$1\"/var/log/apt/* "
        "\"$1\"/var/log/dpkg.log; mkdir -p \"$1\"/workspace \"$1\"/run/airlock; echo airlock > \"$1\"/etc/hostname; "
        "printf '127.0.0.1 localhost airlock\\n::1 localhost\\n' > \"$1\"/etc/hosts; : > \"$1\"/etc/resolv.conf");
    QStringList args{QStringLiteral("--variant=minbase"),
                     root ? QStringLiteral("--mode=root") : QStringLiteral("--mode=unshare"),
                     root ? QStringLiteral("--format=directory") : QStringLiteral("--format=ext2"),
                     QStringLiteral("--include=") + recipe.packages.join(QLatin1Char(',')),
                     QStringLiteral("--customize-hook=") + hook};
    for (const QString &opt : recipe.aptOptions)
        args << QStringLiteral("--aptopt=") + opt;
    args << recipe.suite << (root ? tree : ext2);
    if (recipe.sourceFiles.isEmpty())
        args << QString::fromUtf8(recipe.sourcesText.trimmed());
    else
        args << recipe.sourceFiles;

    report(1, QStringLiteral("starting mmdebstrap (%1 packages)").arg(recipe.packages.size()));
    QString step = QStringLiteral("starting mmdebstrap");
    QStringList lines;
    Result<int> rc = runLines(QStringLiteral("mmdebstrap"), args, [&](const QString &l) {
        if (l.isEmpty())
            return;
        lines << l;
        if (lines.size() > 400)
            lines.removeFirst();
        for (const StepMark &m : kSteps) {
            if (l.startsWith(QLatin1String(m.prefix))) {
                step = QString::fromLatin1(m.step);
                report(m.percent, step);
                break;
            }
        }
    });
    if (!rc)
        return stepFailed(step, rc.error().message);
    if (*rc != 0) {
        QDir(outDir).removeRecursively();
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("building the guest image failed: %1").arg(explainFailure(step, lines)));
    }

    report(90, QStringLiteral("writing the disk image"));
    QStringList fsLines;
    auto collect = [&](const QString &l) {
        if (!l.isEmpty())
            fsLines << l;
    };
    if (root) {
        const qint64 size = imageSizeFor(treeBytes(tree));
        Result<int> mk =
            runLines(QStringLiteral("mkfs.ext4"),
                     {QStringLiteral("-q"), QStringLiteral("-F"), QStringLiteral("-L"), QStringLiteral("airlock-root"),
                      QStringLiteral("-d"), tree, image, QStringLiteral("%1k").arg(size / 1024)},
                     collect);
        QDir(tree).removeRecursively();
        if (!mk || *mk != 0)
            return stepFailed(QStringLiteral("writing the disk image"),
                              mk ? fsLines.join(QLatin1Char(' ')) : mk.error().message);
    } else {
        // genext2fs makes a tight ext2: a journal, then room to grow, offline.
        const qint64 used = QFileInfo(ext2).size();
        for (const QStringList &cmd :
             {QStringList{QStringLiteral("tune2fs"), QStringLiteral("-j"), QStringLiteral("-L"),
                          QStringLiteral("airlock-root"), ext2},
              QStringList{QStringLiteral("e2fsck"), QStringLiteral("-fy"), ext2},
              QStringList{QStringLiteral("resize2fs"), ext2, QStringLiteral("%1K").arg(imageSizeFor(used) / 1024)}}) {
            Result<int> r = runLines(cmd.first(), cmd.mid(1), collect);
            // e2fsck exits 1 when it fixed something (genext2fs leaves counters for it).
            if (!r || (*r != 0 && !(cmd.first() == QLatin1String("e2fsck") && *r == 1)))
                return stepFailed(QStringLiteral("writing the disk image"),
                                  r ? fsLines.join(QLatin1Char(' ')) : r.error().message);
        }
        if (!QFile::rename(ext2, image))
            return stepFailed(QStringLiteral("writing the disk image"), QStringLiteral("cannot rename %1").arg(ext2));
    }
    report(100, QStringLiteral("done"));
    return Built{image, allocatedBytes(image), timer.elapsed()};
}

} // namespace airlock
