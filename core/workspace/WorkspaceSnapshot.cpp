#include "core/workspace/WorkspaceSnapshot.h"

#include "core/workspace/UnifiedDiff.h"

#include <QFile>
#include <QLocale>
#include <QSet>

#include <algorithm>
#include <chrono>

namespace airlock {
namespace {

// How long after a write an mtime may still read the same on a coarse-time file
// system (9p, FAT's 2 s, some network mounts).
constexpr qint64 kCoarseMtimeWindowNs = 2'000'000'000;

qint64 nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool sameFile(const WorkspaceEntry &a, const WorkspaceEntry &b)
{
    return a.inode == b.inode && a.device == b.device;
}

// Any move here may hide a content change: reason enough to re-read a kept file.
bool signatureMoved(const WorkspaceEntry &a, const WorkspaceEntry &b)
{
    return a.size != b.size || a.mtimeNs != b.mtimeNs || a.ctimeNs != b.ctimeNs || !sameFile(a, b);
}

// For a file whose content was not kept: the best evidence of a content change
// (ctime is left out: chmod moves it too).
bool contentMayDiffer(const WorkspaceEntry &a, const WorkspaceEntry &b)
{
    return a.size != b.size || a.mtimeNs != b.mtimeNs || !sameFile(a, b);
}

bool changed(const WorkspaceEntry &before, const WorkspaceEntry &after)
{
    if (before.type != after.type)
        return true;
    if (before.type == WorkspaceEntry::Type::Other)
        return contentMayDiffer(before, after);
    if (before.kept && after.kept)
        return before.content != after.content;
    if (before.kept && after.binary)
        return true; // text before, binary now
    return contentMayDiffer(before, after);
}

QString unkeptReason(WorkspaceEntry::Unkept unkept)
{
    switch (unkept) {
    case WorkspaceEntry::Unkept::TooLarge:
        return QStringLiteral("too large");
    case WorkspaceEntry::Unkept::Unreadable:
        return QStringLiteral("unreadable");
    case WorkspaceEntry::Unkept::OverBudget:
        return QStringLiteral("over the byte budget");
    case WorkspaceEntry::Unkept::NotAFile:
        return QStringLiteral("not a regular file");
    case WorkspaceEntry::Unkept::No:
        break;
    }
    return QString();
}

// The room a crowded folder had (the smaller of the two walks' when both left it out).
qsizetype crowdedLimit(const QByteArray &path, const WorkspaceWalker::Outcome &a, const WorkspaceWalker::Outcome &b)
{
    qsizetype limit = 0;
    for (const WorkspaceWalker::Outcome *walk : {&a, &b})
        for (const WorkspaceWalker::SkippedDir &d : walk->skipped)
            if (d.path == path && d.why == WorkspaceWalker::SkippedDir::Why::Crowded)
                limit = limit == 0 ? d.limit : qMin(limit, d.limit);
    return limit;
}

const QByteArray &earlierStop(const QByteArray &a, const QByteArray &b)
{
    if (a.isEmpty())
        return b;
    if (b.isEmpty())
        return a;
    return WorkspaceEntry::pathLess(a, b) ? a : b;
}

} // namespace

WorkspaceSnapshot::WorkspaceSnapshot(QString root, WorkspaceLimits limits, qint64 takenAtNs,
                                     WorkspaceWalker::Outcome walk)
    : m_root(std::move(root)), m_limits(std::move(limits)), m_takenAtNs(takenAtNs), m_walk(std::move(walk))
{
    for (const WorkspaceEntry &e : m_walk.entries)
        m_keptBytes += e.content.size();
}

Result<WorkspaceSnapshot> WorkspaceSnapshot::take(const QString &root, const WorkspaceLimits &limits)
{
    const qint64 takenAt = nowNs(); // before the walk: files read late still fall in the window
    Result<WorkspaceWalker::Outcome> walk =
        WorkspaceWalker::walk(root, limits, [](const WorkspaceEntry &) { return WorkspaceWalker::Read::Full; });
    if (!walk)
        return walk.error();
    return WorkspaceSnapshot(root, limits, takenAt, std::move(walk).value());
}

Result<WorkspaceChanges> WorkspaceSnapshot::diffAgainstNow() const
{
    Result<WorkspaceWalker::Outcome> now =
        WorkspaceWalker::walk(m_root, m_limits, [this](const WorkspaceEntry &e) { return readChoice(e); });
    if (!now)
        return now.error();
    return compare(*now);
}

const WorkspaceEntry *WorkspaceSnapshot::find(const QByteArray &path) const
{
    const auto &entries = m_walk.entries;
    const auto it =
        std::lower_bound(entries.begin(), entries.end(), path, [](const WorkspaceEntry &e, const QByteArray &p) {
            return WorkspaceEntry::pathLess(e.path, p);
        });
    return it != entries.end() && it->path == path ? &*it : nullptr;
}

WorkspaceWalker::Read WorkspaceSnapshot::readChoice(const WorkspaceEntry &now) const
{
    const WorkspaceEntry *before = find(now.path);
    if (!before || before->type != now.type)
        return WorkspaceWalker::Read::Full; // created (or replaced by another kind): diff from nothing
    if (before->kept) {
        const bool recent = before->mtimeNs >= m_takenAtNs - kCoarseMtimeWindowNs;
        return signatureMoved(*before, now) || recent ? WorkspaceWalker::Read::Full : WorkspaceWalker::Read::Nothing;
    }
    // No diff is possible without the old content; the head still says whether the
    // new version is binary.
    return contentMayDiffer(*before, now) ? WorkspaceWalker::Read::Head : WorkspaceWalker::Read::Nothing;
}

WorkspaceChanges WorkspaceSnapshot::compare(const WorkspaceWalker::Outcome &now) const
{
    WorkspaceChanges out;
    // Past the first path either walk did not record, absence proves nothing.
    const QByteArray &stop = earlierStop(m_walk.stoppedAt, now.stoppedAt);
    auto beforeStop = [&stop](const QByteArray &path) {
        return stop.isEmpty() || WorkspaceEntry::pathLess(path, stop);
    };
    // Nor inside a folder either walk left out: a folder crowded in one walk and not
    // in the other would otherwise look emptied or filled.
    QSet<QByteArray> skipped;
    QList<QByteArray> crowded; // in path order, each once
    for (const WorkspaceWalker::Outcome *walk : {&m_walk, &now})
        for (const WorkspaceWalker::SkippedDir &d : walk->skipped) {
            if (d.why == WorkspaceWalker::SkippedDir::Why::Crowded && !skipped.contains(d.path))
                crowded.append(d.path);
            skipped.insert(d.path);
        }
    std::sort(crowded.begin(), crowded.end(), WorkspaceEntry::pathLess);
    auto inSkipped = [&skipped](const QByteArray &path) {
        if (skipped.isEmpty())
            return false;
        if (skipped.contains(QByteArray()))
            return true; // the workspace folder itself
        for (qsizetype slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1))
            if (skipped.contains(path.first(slash)))
                return true;
        return false;
    };

    const std::vector<WorkspaceEntry> &a = m_walk.entries, &b = now.entries;
    size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        const bool onlyBefore = j == b.size() || (i < a.size() && WorkspaceEntry::pathLess(a[i].path, b[j].path));
        const bool onlyAfter = !onlyBefore && (i == a.size() || WorkspaceEntry::pathLess(b[j].path, a[i].path));
        const QByteArray &path = onlyBefore ? a[i].path : b[j].path;
        if (!beforeStop(path))
            break; // both lists are in path order: nothing further is covered
        if (inSkipped(path)) {
            i += onlyAfter ? 0 : 1;
            j += onlyBefore ? 0 : 1;
            continue;
        }
        if (onlyBefore) {
            out.files.push_back(change(FileChange::Kind::Deleted, &a[i++], nullptr));
        } else if (onlyAfter) {
            out.files.push_back(change(FileChange::Kind::Created, nullptr, &b[j++]));
        } else {
            if (changed(a[i], b[j]))
                out.files.push_back(change(FileChange::Kind::Modified, &a[i], &b[j]));
            ++i;
            ++j;
        }
    }

    out.incomplete = m_walk.incomplete() || now.incomplete();
    // Named, so that the model and the person know where the record is partial.
    constexpr int kNamedCrowded = 5;
    for (int k = 0; k < crowded.size() && k < kNamedCrowded; ++k) {
        const qsizetype limit = crowdedLimit(crowded[k], m_walk, now);
        if (crowded[k].isEmpty())
            out.notes << QStringLiteral("Change record incomplete: the workspace folder has more than %1 entries; "
                                        "changes inside it are not itemised.")
                             .arg(limit);
        else
            out.notes << QStringLiteral("Change record incomplete: the folder \"%1\" has more than %2 entries; "
                                        "changes inside it are not itemised.")
                             .arg(QFile::decodeName(crowded[k]))
                             .arg(limit);
    }
    if (crowded.size() > kNamedCrowded)
        out.notes << QStringLiteral("Change record incomplete: %1 more crowded folders are not itemised.")
                         .arg(crowded.size() - kNamedCrowded);
    if (stop.endsWith('/'))
        out.notes << QStringLiteral("Change record incomplete: the walk read its limit of %1 names before the folder "
                                    "\"%2\": nothing in it or after it (in path order) was compared.")
                         .arg(m_limits.maxListedNames)
                         .arg(stop == "/" ? QStringLiteral(".") : QFile::decodeName(stop.chopped(1)));
    else if (!stop.isEmpty())
        out.notes << QStringLiteral("The workspace has more than %1 files and folders: nothing from \"%2\" on "
                                    "(in path order) was compared.")
                         .arg(m_limits.maxFiles)
                         .arg(QFile::decodeName(stop));
    if (const int deep = std::max(m_walk.tooDeepDirs, now.tooDeepDirs))
        out.notes << QStringLiteral("%1 folder(s) nested deeper than %2 levels were not looked into.")
                         .arg(deep)
                         .arg(m_limits.maxDepth);
    if (const int unreadable = std::max(m_walk.unreadableDirs, now.unreadableDirs))
        out.notes << QStringLiteral("%1 folder(s) could not be read.").arg(unreadable);
    if (m_walk.overBudgetFiles > 0 || now.overBudgetFiles > 0)
        out.notes << QStringLiteral("Past %1 read, files were compared by size and time only: "
                                    "their changes have no diff.")
                         .arg(QLocale::c().formattedDataSize(m_limits.maxKeptBytes, 0));
    return out;
}

FileChange WorkspaceSnapshot::change(FileChange::Kind kind, const WorkspaceEntry *before,
                                     const WorkspaceEntry *after) const
{
    FileChange c;
    c.path = QFile::decodeName(before ? before->path : after->path);
    c.kind = kind;
    c.binary = (before && before->binary) || (after && after->binary);
    // A missing side is the empty text: a created file's diff adds every line.
    const bool beforeText = !before || before->kept;
    const bool afterText = !after || after->kept;
    if (!c.binary && beforeText && afterText) {
        const UnifiedDiff::Output diff =
            UnifiedDiff::compute(before ? before->content : QByteArray(), after ? after->content : QByteArray(), c.path,
                                 m_limits.maxDiffChars);
        c.diff = diff.text;
        c.truncated = diff.truncated;
        c.added = diff.added;
        c.removed = diff.removed;
    } else if (!c.binary) {
        // A file only headed in the second walk was not kept in the first: the first says why.
        if (before && !before->kept)
            c.noDiffReason = unkeptReason(before->unkept);
        if (c.noDiffReason.isEmpty() && after && !after->kept)
            c.noDiffReason = unkeptReason(after->unkept);
    }
    return c;
}

} // namespace airlock
