#pragma once

// The session's egress gate: every HTTP request a sandbox makes (the isolate's
// fetch, the guest's proxy) is decided, performed and recorded here, and only here
// are credentials added. One per session; fetch is blocking (call it from a worker
// thread) and thread-safe: each call has its own transfer, the policy is
// immutable. For each request, and again for each redirect hop:
//   1. the policy decides (deny by default; EgressPolicy);
//   2. the gate resolves the name itself, and refuses loopback, link-local,
//      private, CGNAT, ULA, multicast, broadcast and other special-use addresses
//      (EgressHost::specialUse) unless the deciding rule or binding names that
//      address literally; the checked addresses are pinned (CURLOPT_RESOLVE) and
//      every socket is checked again before it connects;
//   3. headers: the sandbox's Host, hop-by-hop, Proxy-*, Expect, Content-Length
//      and Accept-Encoding are dropped (the gate sets its own); to a rule that
//      injects, the sandbox's Authorization and Cookie are dropped too; then the
//      rule's inject headers are added, resolved by name at this moment;
//   4. TLS is always verified (the system store, plus Options::extraCaFile);
//   5. redirects are followed by the gate (never by curl), at most maxRedirects,
//      each hop decided again; 303 (and 301/302 after a POST) become GET without a
//      body; once a hop leaves the request's origin, nothing is injected any more
//      and the sandbox's Authorization and Cookie are dropped;
//   6. bounds: request body, response body, response headers, total time.
// Every hop produces an EgressAuditRecord, allowed or refused.

#include "core/egress/EgressPolicy.h"
#include "core/sandbox/EgressExchange.h"
#include "sandbox/egress/EgressAuditRecord.h"
#include "sandbox/egress/EgressMail.h"
#include "sandbox/egress/EgressTunnel.h"
#include "sandbox/egress/LoopbackForwards.h"

#include <QByteArrayView>

#include <memory>

namespace airlock {

// The streaming variant's receiver (large downloads, the guest's proxy).
struct EgressStreamReceiver {
    // Once, with the final answer's status, headers and URL (body empty), before
    // any body byte. Return false to stop.
    std::function<bool(const EgressResponse &head)> head;
    // Each body chunk in order. Return false to stop (the fetch then fails).
    std::function<bool(QByteArrayView chunk)> body;
};

class EgressGate {
public:
    struct Options {
        qint64 maxRequestBytes = 16 * 1024 * 1024; // request body
        // A put to a bucket binding: the object is already in the host's memory
        // (host_file, a tool's value), and buckets hold large files.
        qint64 maxObjectBytes = qint64(256) * 1024 * 1024;
        qint64 maxResponseBytes = 64 * 1024 * 1024;             // body, buffered fetch
        qint64 maxStreamBytes = qint64(8) * 1024 * 1024 * 1024; // body, streaming fetch
        qint64 maxHeaderBytes = 256 * 1024;                     // request headers, and each answer's header block
        int maxTotalMs = 10 * 60 * 1000;                        // cap on EgressRequest::timeoutMs, all hops
        int connectTimeoutMs = 10000;
        int maxRedirects = 10;
        // PEM file of CAs trusted besides the system store (tests; a corporate CA).
        QString extraCaFile;
        // The ports the session's microVM forwards to the host's 127.0.0.1: the
        // browser's requests to http(s)://localhost:<port> or 127.0.0.1:<port> are
        // allowed while the port is forwarded (rule "vm.forward"), to 127.0.0.1
        // alone and with nothing injected. Other sandboxes' requests are not.
        std::shared_ptr<const LoopbackForwards> forwards;
    };

    // Fails when Options::extraCaFile or the system CA store cannot be read.
    static Result<std::unique_ptr<EgressGate>> create(EgressPolicy policy, EgressSecretResolver secrets,
                                                      EgressAuditSink audit, Options options);
    static Result<std::unique_ptr<EgressGate>> create(EgressPolicy policy, EgressSecretResolver secrets,
                                                      EgressAuditSink audit)
    {
        return create(std::move(policy), std::move(secrets), std::move(audit), Options());
    }

    EgressGate(const EgressGate &) = delete;
    EgressGate &operator=(const EgressGate &) = delete;

    // Buffers the body (bounded by maxResponseBytes). A refusal or failure is an
    // error whose message says what refused it and how to allow it.
    Result<EgressResponse> fetch(const EgressRequest &request) const;
    // Streams the final body to `receiver` (bounded by maxStreamBytes); the
    // response returned has an empty body.
    Result<EgressResponse> fetchStreaming(const EgressRequest &request, const EgressStreamReceiver &receiver) const;
    // fetch as the sandboxes' EgressFetch. The gate must outlive it.
    EgressFetch asFetch() const;
    // A blind CONNECT tunnel for the guest's HTTPS proxy, to an origin whose rule
    // allows it whole (EgressPolicy::decideTunnel): decided, resolved and
    // address-checked like fetch, then connected. An origin that needs
    // interception (its rule adds credentials or limits methods or paths) is
    // refused with Error::Code::Conflict: its requests must go through fetch.
    // Records: one when it opens (or is refused), one when it closes.
    Result<EgressTunnel> openTunnel(const EgressTunnelRequest &request) const;

    // Sends one message through an email binding. Before any connection: the
    // envelope's addresses must be plain (EgressMailAddress) and allowed by the
    // binding (EgressPolicy::decideMail), the message bounded by maxRequestBytes
    // and free of NUL. Then the server is resolved and address-checked like a
    // fetch (a private address only when the binding names it literally), TLS is
    // verified (SMTPS; STARTTLS when offered, required when a password goes to a
    // host that is not loopback), and AUTH uses the binding's username and password,
    // resolved at this moment. One audit record: method "SMTP", the server, bytes
    // up, the credential names, the recipient count.
    Result<EgressMailReceipt> sendMail(const EgressMailRequest &request) const;

    const EgressPolicy &policy() const { return m_policy; }

private:
    EgressGate(EgressPolicy policy, EgressSecretResolver secrets, EgressAuditSink audit, Options options,
               QByteArray caBundle);
    Result<EgressResponse> run(const EgressRequest &request, const EgressStreamReceiver *receiver) const;
    static Status checkAddresses(const EgressDecision &decision, const QStringList &addresses);
    // A refused decision for the browser, turned into an allowed one when it names
    // a port the VM forwards (Options::forwards).
    void allowForwardedPort(EgressDecision &decision, const QString &sandbox) const;
    // The addresses to connect to: the gate's own resolution, or 127.0.0.1 alone
    // for a forwarded port (the forwarder listens there only).
    static Result<QStringList> addressesFor(const EgressDecision &decision);

    EgressPolicy m_policy;
    EgressSecretResolver m_secrets;
    EgressAuditSink m_audit;
    Options m_options;
    QByteArray m_caBundle; // system store + extraCaFile; empty: curl's default store
};

} // namespace airlock
