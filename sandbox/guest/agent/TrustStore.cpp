#include "sandbox/guest/agent/TrustStore.h"

#include "sandbox/guest/agent/GuestPaths.h"
#include "sandbox/guest/agent/WriteAll.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace airlock::agent {

using wire::Frame;
using wire::Json;

namespace {

constexpr std::size_t kMaxCaPem = 64 * 1024;
constexpr std::size_t kMaxSystemBundle = 16 * 1024 * 1024;
constexpr const char *kBeginMarker = "# airlock session CA (replaced at each boot)\n";
constexpr const char *kEndMarker = "# end of airlock session CA\n";
constexpr const char *kPemBegin = "-----BEGIN CERTIFICATE-----";
constexpr const char *kPemEnd = "-----END CERTIFICATE-----";

bool isDir(const std::string &path)
{
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// mkdir -p, 0755.
bool makeDirs(const std::string &path)
{
    for (std::size_t i = 1; i <= path.size(); ++i) {
        if (i < path.size() && path[i] != '/')
            continue;
        const std::string part = path.substr(0, i);
        if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST)
            return false;
    }
    return isDir(path);
}

// A regular file, whole, when it is at most `max` bytes.
bool readSmallFile(const std::string &path, std::size_t max, std::string &out)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return false;
    struct stat st {};
    bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && std::size_t(st.st_size) <= max;
    out.clear();
    char buf[64 * 1024];
    while (ok) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        out.append(buf, std::size_t(n));
        ok = out.size() <= max;
    }
    ::close(fd);
    return ok;
}

// Written beside `path` and renamed over it, so a reader never sees half a bundle.
// Empty when done, else why not.
std::string writeAtomically(const std::string &path, const std::string &data)
{
    const std::string tmp = path + ".airlock-tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return errnoText(path);
    const bool written = writeAll(fd, data.data(), data.size()) && ::fchmod(fd, 0644) == 0;
    const std::string why = written ? std::string() : errnoText(path);
    if (::close(fd) != 0 || !written) {
        ::unlink(tmp.c_str());
        return why.empty() ? errnoText(path) : why;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string e = errnoText(path);
        ::unlink(tmp.c_str());
        return e;
    }
    return {};
}

// `bundle` without the blocks an earlier boot appended.
std::string withoutSessionCa(std::string bundle)
{
    while (true) {
        const std::size_t begin = bundle.find(kBeginMarker);
        if (begin == std::string::npos)
            return bundle;
        const std::size_t end = bundle.find(kEndMarker, begin);
        bundle.erase(begin, end == std::string::npos ? std::string::npos
                                                     : end + std::char_traits<char>::length(kEndMarker) - begin);
    }
}

// One PEM certificate and nothing else that could confuse a bundle's reader.
bool plausiblePem(const std::string &pem)
{
    if (pem.empty() || pem.size() > kMaxCaPem || pem.find('\0') != std::string::npos)
        return false;
    const std::size_t begin = pem.find(kPemBegin);
    const std::size_t end = pem.find(kPemEnd);
    return begin != std::string::npos && end != std::string::npos && begin < end &&
           pem.find(kPemBegin, begin + 1) == std::string::npos && pem.find("# ") == std::string::npos;
}

bool plausibleHash(const std::string &hash)
{
    if (hash.size() != 8)
        return false;
    for (const char c : hash)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

// <dir>/<hash>.N → `target` (a relative link), taking the first N free or ours.
bool linkHashed(const std::string &dir, const std::string &hash, const std::string &target)
{
    for (int n = 0; n < 10; ++n) {
        const std::string link = dir + "/" + hash + "." + std::to_string(n);
        char buf[256];
        const ssize_t len = ::readlink(link.c_str(), buf, sizeof buf - 1);
        if (len >= 0 && std::string(buf, std::size_t(len)) == target)
            return true;
        struct stat st {};
        if (len < 0 && ::lstat(link.c_str(), &st) != 0)
            return ::symlink(target.c_str(), link.c_str()) == 0;
    }
    return false;
}

} // namespace

void TrustStore::install(const Frame &f)
{
    const std::string &pem = f.payload;
    const std::string hash = f.header["hash"].toString();
    if (!plausiblePem(pem)) {
        m_channel.sendError(f.id(), "trust_ca needs one PEM certificate (at most 64 KiB) as its payload");
        return;
    }
    if (!hash.empty() && !plausibleHash(hash)) {
        m_channel.sendError(f.id(), "trust_ca: hash must be 8 lowercase hex digits");
        return;
    }
    const std::string block = std::string(kBeginMarker) + pem + (pem.back() == '\n' ? "" : "\n") + kEndMarker;

    const std::string run = m_root + "/run/airlock";
    if (!makeDirs(run)) {
        m_channel.sendError(f.id(), errnoText(run));
        return;
    }
    const std::string caFile = run + "/ca.pem";
    const std::string bundleFile = run + "/ca-bundle.pem";
    const std::string certs = m_root + "/etc/ssl/certs";
    const std::string systemBundle = certs + "/ca-certificates.crt";
    std::string system;
    const bool haveSystem = readSmallFile(systemBundle, kMaxSystemBundle, system);
    system = withoutSessionCa(std::move(system));
    if (!system.empty() && system.back() != '\n')
        system += '\n';
    for (const auto &[path, data] : {std::pair{caFile, pem}, std::pair{bundleFile, system + block}}) {
        if (const std::string why = writeAtomically(path, data); !why.empty()) {
            m_channel.sendError(f.id(), "trust_ca: " + why);
            return;
        }
    }

    // The system store, where there is one: what update-ca-certificates would make,
    // without running it (seconds under emulation, at every boot).
    bool inSystem = false;
    if (haveSystem && writeAtomically(systemBundle, system + block).empty()) {
        inSystem = true;
        const std::string one = "airlock-session-ca.pem";
        if (writeAtomically(certs + "/" + one, pem).empty() && !hash.empty())
            (void)linkHashed(certs, hash, one);
        const std::string local = m_root + "/usr/local/share/ca-certificates";
        if (isDir(local))
            (void)writeAtomically(local + "/airlock-session-ca.crt", pem);
    }

    m_env.clear();
    for (const char *k : {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO", "PIP_CERT"})
        m_env[k] = bundleFile;
    m_env["NODE_EXTRA_CA_CERTS"] = caFile;

    Json r;
    r.set("op", "ok").set("id", f.id()).set("ca", caFile).set("bundle", bundleFile).set("system", inSystem);
    m_channel.send(r);
}

} // namespace airlock::agent
