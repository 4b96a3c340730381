#pragma once

// The session CA the host gives the guest to trust (op trust_ca, once per boot):
// the host's egress bridge terminates HTTPS for origins whose rule adds
// credentials with certificates this CA signs, so the guest's clients must trust
// it. Only the certificate comes here; its key never leaves the host. Written:
//   /run/airlock/ca.pem          the CA alone (NODE_EXTRA_CA_CERTS)
//   /run/airlock/ca-bundle.pem   the system bundle and the CA (SSL_CERT_FILE,
//                                REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO,
//                                PIP_CERT)
// and, where the guest has a system store (a Debian guest), into it as
// update-ca-certificates would: the CA appended to
// /etc/ssl/certs/ca-certificates.crt between marker lines (replacing an earlier
// session's), /etc/ssl/certs/airlock-session-ca.pem with its hashed link
// (<hash>.0, the hash from the host), and
// /usr/local/share/ca-certificates/airlock-session-ca.crt so a later
// update-ca-certificates keeps it. Every command started afterwards gets the
// variables above (env()); the caller's env still wins.

#include "sandbox/guest/agent/Channel.h"
#include "sandbox/guest/protocol/Frame.h"

#include <map>
#include <string>

namespace airlock::agent {

class TrustStore {
public:
    // `root` is put in front of every path: empty in the guest, a scratch folder
    // when the agent runs on a host for tests (--trust-root).
    TrustStore(Channel &channel, std::string root) : m_channel(channel), m_root(std::move(root)) {}

    // trust_ca {id, hash} + payload = the CA certificate, PEM. Replies ok {id, ca,
    // bundle, system} (system: the system store took it too) or error {id, message}.
    void install(const wire::Frame &f);
    // What every command gets once a CA is installed (empty before).
    const std::map<std::string, std::string> &env() const { return m_env; }

private:
    Channel &m_channel;
    std::string m_root;
    std::map<std::string, std::string> m_env;
};

} // namespace airlock::agent
