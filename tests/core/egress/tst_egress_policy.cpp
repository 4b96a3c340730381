// The egress rules as airlock.json states them: canonical hosts, paths and URLs,
// matching (wildcards, ports, schemes, methods, path prefixes), first match wins,
// bindings, the approval card's summary, and every mistake named by its JSON path.
// URLs inside raw-string JSON are written "https:\/\/…" (JSON's escaped "/"):
// moc would read a "//" there as a comment.

#include "core/egress/EgressHost.h"
#include "core/egress/EgressPath.h"
#include "core/egress/EgressPolicy.h"
#include "core/project/ProjectConfig.h"

#include <QTest>

using namespace airlock;

namespace {

EgressPolicy policy(const QByteArray &json)
{
    auto p = EgressPolicy::fromJsonText(json, QStringLiteral("airlock.json"));
    if (!p)
        qWarning("%s", qPrintable(p.error().message));
    return p ? *p : EgressPolicy();
}

QString projectError(const QByteArray &json)
{
    auto c = ProjectConfig::parse(json, QStringLiteral("airlock.json"));
    return c ? QString() : c.error().message;
}

} // namespace

class TestEgressPolicy : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void hostsHaveOneCanonicalForm_data()
    {
        QTest::addColumn<QString>("in");
        QTest::addColumn<QString>("out");
        QTest::newRow("case and trailing dot") << "GitHub.COM."
                                               << "github.com";
        QTest::newRow("idna") << QStringLiteral("bücher.example") << "xn--bcher-kva.example";
        QTest::newRow("full-width dot") << QStringLiteral("api\u3002github.com") << "api.github.com";
        QTest::newRow("ipv4 hex") << "0x7f.1"
                                  << "127.0.0.1";
        QTest::newRow("ipv4 number") << "2130706433"
                                     << "127.0.0.1";
        QTest::newRow("ipv4 octal") << "0177.0.0.1"
                                    << "127.0.0.1";
        QTest::newRow("ipv4 short") << "127.1"
                                    << "127.0.0.1";
        QTest::newRow("ipv4 trailing dot") << "10.0.0.1."
                                           << "10.0.0.1";
        QTest::newRow("ipv6 brackets") << "[0:0:0:0:0:0:0:1]"
                                       << "::1";
        QTest::newRow("ipv6 plain") << "2001:DB8:0:0:1:0:0:1"
                                    << "2001:db8::1:0:0:1";
        QTest::newRow("ipv6 mapped") << "[::FFFF:7f00:1]"
                                     << "::ffff:127.0.0.1";
        QTest::newRow("ipv6 compressed") << "fe80:0:0:0::1"
                                         << "fe80::1";
    }
    void hostsHaveOneCanonicalForm()
    {
        QFETCH(QString, in);
        QFETCH(QString, out);
        auto h = EgressHost::normalise(in);
        QVERIFY2(h, h ? "" : qPrintable(h.error().message));
        QCOMPARE(*h, out);
    }

    void badHostsAreRefused_data()
    {
        QTest::addColumn<QString>("in");
        for (const char *bad : {"", "a..b", "256.1.1.1", "1.2.3.4.5", "fe80::1%eth0", "exa mple.com", "a/b", "a@b",
                                "[::1", "1:2:3:4:5:6:7:8:9", "::1::", "foo.123", "ex%61mple.com", "*.x.com"})
            QTest::newRow(bad) << QString::fromLatin1(bad);
    }
    void badHostsAreRefused()
    {
        QFETCH(QString, in);
        QVERIFY(!EgressHost::normalise(in));
    }

    void specialUseAddresses_data()
    {
        QTest::addColumn<QString>("ip");
        QTest::addColumn<bool>("special");
        for (const char *s : {"127.0.0.1",
                              "127.255.0.9",
                              "10.1.2.3",
                              "172.16.0.1",
                              "172.31.255.255",
                              "192.168.1.1",
                              "100.64.0.1",
                              "100.127.255.255",
                              "169.254.169.254",
                              "0.0.0.0",
                              "0.1.2.3",
                              "224.0.0.1",
                              "255.255.255.255",
                              "240.0.0.1",
                              "::1",
                              "::",
                              "fc00::1",
                              "fd12::1",
                              "fe80::1",
                              "ff02::1",
                              "::ffff:127.0.0.1",
                              "::ffff:10.0.0.1",
                              "64:ff9b::a00:1",
                              "2002:7f00:1::",
                              "::127.0.0.1"})
            QTest::newRow(s) << QString::fromLatin1(s) << true;
        for (const char *s :
             {"8.8.8.8", "172.32.0.1", "100.128.0.1", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "192.169.0.1"})
            QTest::newRow(s) << QString::fromLatin1(s) << false;
    }
    void specialUseAddresses()
    {
        QFETCH(QString, ip);
        QFETCH(bool, special);
        auto canonical = EgressHost::normalise(ip);
        QVERIFY(canonical);
        QCOMPARE(!EgressHost::specialUse(*canonical).isEmpty(), special);
    }

    void wildcardsMatchBelowTheirSuffixOnly()
    {
        const EgressPolicy p = policy(R"({"egress": {"rules": [
            {"host": "*.github.com", "decision": "allow"}]}})");
        QVERIFY(p.decide("GET", QStringLiteral("https://api.github.com/")).allowed);
        QVERIFY(p.decide("GET", QStringLiteral("https://a.b.github.com/")).allowed);
        QVERIFY(p.decide("GET", QStringLiteral("https://API.GitHub.com./x")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("https://github.com/")).allowed); // not the apex
        QVERIFY(!p.decide("GET", QStringLiteral("https://evilgithub.com/")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("https://github.com.evil.com/")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("https://api.github.com.evil.com/")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("https://evil.com/.github.com")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("https://evil.com#.github.com")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("https://evil.com?.github.com")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("https://api.github.com@evil.com/")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("https://evil.com\\@api.github.com/")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("http://api.github.com/")).allowed);       // https only by default
        QVERIFY(!p.decide("GET", QStringLiteral("https://api.github.com:8443/")).allowed); // its default port only
        QVERIFY(p.decide("GET", QStringLiteral("https://api.github.com:443/")).allowed);
    }

    void rulesMatchSchemePortMethodAndPath()
    {
        const EgressPolicy p = policy(R"({"egress": {"rules": [
            {"host": "api.example.com", "scheme": ["http", "https"], "port": [80, 8080], "methods": ["get", "HEAD"],
             "path": "/repos/", "decision": "allow"}]}})");
        QVERIFY(p.decide("GET", QStringLiteral("http://api.example.com:8080/repos/x")).allowed);
        QVERIFY(p.decide("head", QStringLiteral("http://api.example.com/repos/x")).allowed);
        QVERIFY(!p.decide("POST", QStringLiteral("http://api.example.com/repos/x")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("https://api.example.com/repos/x")).allowed); // 443 not listed
        QVERIFY(!p.decide("GET", QStringLiteral("http://api.example.com/repos")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("http://api.example.com/other")).allowed);
    }

    void pathPrefixesHoldAgainstNormalisationTricks_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("allowed");
        QTest::newRow("plain") << "/repos/a" << true;
        QTest::newRow("dot segments inside") << "/repos/a/../b" << true;
        QTest::newRow("escaped unreserved") << "/%72epos/a" << true;
        QTest::newRow("dot-dot") << "/repos/../admin" << false;
        QTest::newRow("escaped dot-dot") << "/repos/%2e%2E/admin" << false;
        QTest::newRow("escaped slash") << "/repos/x%2F..%2F..%2Fadmin" << false;
        QTest::newRow("double escape") << "/repos/%252e%252e/%252e%252e/admin" << false;
        QTest::newRow("path parameter") << "/repos/..;/admin" << false;
        // Sent as "/repos/admin" (RFC 3986 removes the dot-segment with the empty one).
        QTest::newRow("empty segment") << "/repos//../admin" << true;
        QTest::newRow("merged slashes") << "/repos/x//..%2F..%2F..%2Fadmin" << false;
        QTest::newRow("escaped backslash") << "/repos/x/..%5C..%5Cadmin" << false;
        QTest::newRow("raw backslash") << "/repos\\..\\admin" << false;
        QTest::newRow("segment boundary") << "/repository" << false;
        QTest::newRow("no trailing slash") << "/repos" << false;
        QTest::newRow("bad escape") << "/repos/%zz" << false;
    }
    void pathPrefixesHoldAgainstNormalisationTricks()
    {
        QFETCH(QString, path);
        QFETCH(bool, allowed);
        const EgressPolicy p = policy(R"({"egress": {"rules": [
            {"host": "api.example.com", "path": "/repos/", "decision": "allow"}]}})");
        const EgressDecision d = p.decide("GET", QStringLiteral("https://api.example.com") + path);
        QVERIFY2(d.allowed == allowed, qPrintable(d.message));
    }

    void pathsAreNormalisedAsSent()
    {
        QCOMPARE(*EgressPath::normalise("/a/./b/../c%7e%2f%41"), QByteArray("/a/c~%2FA"));
        QCOMPARE(*EgressPath::normalise("/a b/\xc3\xa9"), QByteArray("/a%20b/%C3%A9"));
        QCOMPARE(*EgressPath::normalise(""), QByteArray("/"));
        QCOMPARE(*EgressPath::normalise("/.."), QByteArray("/"));
        QVERIFY(!EgressPath::normalise("/a\\b"));
        QVERIFY(!EgressPath::normalise("/a%"));
        QVERIFY(!EgressPath::normalise("/a\x01"));
        QVERIFY(EgressPath::under("/repos", "/repos"));
        QVERIFY(EgressPath::under("/repos/x", "/repos"));
        QVERIFY(!EgressPath::under("/repository", "/repos"));
        QVERIFY(EgressPath::under("/anything", "/"));
        auto t = EgressTarget::parse(QStringLiteral("HTTPS://Example.COM:443/a/../b?q=a b&x=%2f#frag"));
        QVERIFY(t);
        QCOMPARE(t->url(), QStringLiteral("https://example.com/b?q=a%20b&x=%2F"));
    }

    void firstMatchWinsAndDefaultDenies()
    {
        const EgressPolicy p = policy(R"({"egress": {"rules": [
            {"host": "*.example.com", "path": "/admin", "decision": "deny"},
            {"host": "*.example.com", "decision": "allow"},
            {"host": "api.example.com", "path": "/admin", "decision": "allow"}]}})");
        EgressDecision d = p.decide("GET", QStringLiteral("https://api.example.com/admin/x"));
        QVERIFY(!d.allowed);
        QCOMPARE(d.rule, QStringLiteral("egress.rules[0]"));
        QCOMPARE(d.message, QStringLiteral("egress denied: egress.rules[0] (deny https://*.example.com/admin) in "
                                           "airlock.json refuses GET https://api.example.com/admin/x"));
        // A deny rule catches a path either reading puts under it.
        QVERIFY(!p.decide("GET", QStringLiteral("https://api.example.com/x/%2e%2e/admin")).allowed);
        d = p.decide("GET", QStringLiteral("https://api.example.com/x"));
        QVERIFY(d.allowed);
        QCOMPARE(d.rule, QStringLiteral("egress.rules[1]"));
        d = p.decide("GET", QStringLiteral("https://evil.example/"));
        QVERIFY(!d.allowed);
        QCOMPARE(d.message,
                 QStringLiteral("egress denied: no rule in airlock.json allows GET https://evil.example/ (add "
                                "an \"egress.rules\" entry to allow it)"));
        QVERIFY(d.rule.isEmpty());
        QVERIFY(!EgressPolicy().decide("GET", QStringLiteral("https://example.com/")).allowed);
    }

    void literalAddressesAreNamedOnlyByLiteralRules()
    {
        const EgressPolicy p = policy(R"({"egress": {"rules": [
            {"host": "127.0.0.1", "scheme": "http", "port": 8080, "decision": "allow"},
            {"host": "[::1]", "scheme": "http", "port": 8081, "decision": "allow"},
            {"host": "localhost", "scheme": "http", "port": 8082, "decision": "allow"}]}})");
        EgressDecision d = p.decide("GET", QStringLiteral("http://2130706433:8080/"));
        QVERIFY(d.allowed);
        QCOMPARE(d.literalAddress, QStringLiteral("127.0.0.1"));
        d = p.decide("GET", QStringLiteral("http://[0::1]:8081/"));
        QVERIFY(d.allowed);
        QCOMPARE(d.literalAddress, QStringLiteral("::1"));
        d = p.decide("GET", QStringLiteral("http://LOCALHOST:8082/"));
        QVERIFY(d.allowed);
        QVERIFY(d.literalAddress.isEmpty()); // a name: the gate refuses what it resolves to if private
        QVERIFY(!p.decide("GET", QStringLiteral("http://[::ffff:127.0.0.1]:8080/")).allowed);
    }

    void bindingsAllowTheirOriginAndCarryInject()
    {
        const EgressPolicy p = policy(R"({"bindings": {
            "BILLING": {"type": "service", "url": "https:\/\/billing.example.internal/api",
                        "inject": {"Authorization": "Bearer ${secret:BILLING_TOKEN}"}},
            "REGION": {"type": "text", "value": "eu-west-1"}},
            "egress": {"rules": [{"host": "billing.example.internal", "path": "/api/admin", "decision": "deny"}]}})");
        QCOMPARE(p.bindings().size(), 2);
        QCOMPARE(p.binding(QStringLiteral("REGION"))->value, QStringLiteral("eu-west-1"));
        EgressDecision d = p.decideBinding("GET", QStringLiteral("BILLING"), QStringLiteral("/v1/invoices?x=1"));
        QVERIFY2(d.allowed, qPrintable(d.message));
        QCOMPARE(d.target.url(), QStringLiteral("https://billing.example.internal/api/v1/invoices?x=1"));
        QCOMPARE(d.rule, QStringLiteral("bindings.BILLING"));
        QCOMPARE(d.inject.size(), 1);
        QCOMPARE(d.inject.first().secretNames(), QStringList{QStringLiteral("BILLING_TOKEN")});
        // The same origin by absolute URL: allowed by the binding, with its headers.
        d = p.decide("GET", QStringLiteral("https://billing.example.internal/api/v2"));
        QVERIFY(d.allowed);
        QCOMPARE(d.inject.size(), 1);
        QVERIFY(!p.decide("GET", QStringLiteral("https://billing.example.internal/other")).allowed);
        // A deny rule still holds for a binding.
        d = p.decideBinding("GET", QStringLiteral("BILLING"), QStringLiteral("/admin/x"));
        QVERIFY(!d.allowed);
        QCOMPARE(d.rule, QStringLiteral("egress.rules[0]"));
        for (const QString &bad : {QStringLiteral("//evil.com/x"), QStringLiteral("https://evil.com/"),
                                   QStringLiteral("/../x"), QStringLiteral("/%2e%2e/x"), QStringLiteral("x"),
                                   QStringLiteral("/\\evil.com"), QStringLiteral("/a/../../x")}) {
            d = p.decideBinding("GET", QStringLiteral("BILLING"), bad);
            QVERIFY2(!d.allowed, qPrintable(bad));
            QVERIFY2(d.message.startsWith(QStringLiteral("egress denied")), qPrintable(d.message));
        }
        QVERIFY(!p.decideBinding("GET", QStringLiteral("REGION"), QStringLiteral("/")).allowed);
        QCOMPARE(p.bindingForGuestHost(QStringLiteral("Billing.Airlock.Internal.")), QStringLiteral("BILLING"));
        QCOMPARE(p.bindingForGuestHost(QStringLiteral("region.airlock.internal")), std::nullopt);
        QCOMPARE(p.bindingForGuestHost(QStringLiteral("billing.airlock.internal.evil.com")), std::nullopt);
        QCOMPARE(p.bindingForGuestHost(QStringLiteral("x.billing.airlock.internal")), std::nullopt);
    }

    void tunnelsAreBlindOnlyForWholeOrigins()
    {
        const EgressPolicy p = policy(R"({"bindings": {
            "BILLING": {"type": "service", "url": "https:\/\/billing.example.internal",
                        "inject": {"Authorization": "Bearer ${secret:BILLING_TOKEN}"}}},
            "egress": {"rules": [
              {"host": "files.example.com", "path": "/private/", "decision": "deny"},
              {"host": "*.example.com", "decision": "allow"},
              {"host": "api.github.com", "methods": ["GET"], "decision": "allow"},
              {"host": "evil.com", "decision": "deny"},
              {"host": "plain.example.org", "scheme": "http", "port": 443, "decision": "allow"}]}})");
        EgressDecision d = p.decideTunnel(QStringLiteral("www.example.com"), 443);
        QVERIFY(d.allowed && !d.needsInterception);
        QCOMPARE(d.rule, QStringLiteral("egress.rules[1]"));
        d = p.decideTunnel(QStringLiteral("files.example.com"), 443); // a deny for part of it
        QVERIFY(!d.allowed && d.needsInterception);
        d = p.decideTunnel(QStringLiteral("api.github.com"), 443); // methods limited
        QVERIFY(d.allowed && d.needsInterception);
        d = p.decideTunnel(QStringLiteral("billing.example.internal"), 443); // credentials
        QVERIFY(d.allowed && d.needsInterception);
        d = p.decideTunnel(QStringLiteral("evil.com"), 443);
        QVERIFY(!d.allowed && !d.needsInterception);
        QVERIFY(!p.decideTunnel(QStringLiteral("www.example.com"), 8443).allowed);
        QVERIFY(!p.decideTunnel(QStringLiteral("plain.example.org"), 443).allowed); // an http rule is no tunnel
        QVERIFY(!p.decideTunnel(QStringLiteral("bad host"), 443).allowed);
    }

    void summaryNamesHostsAndCredentials()
    {
        const EgressPolicy p = policy(R"({"bindings": {
            "BILLING": {"type": "service", "url": "https:\/\/billing.example.internal",
                        "inject": {"Authorization": "Bearer ${secret:BILLING_TOKEN}"}}},
            "egress": {"rules": [
              {"host": "*.github.com", "methods": ["GET"], "path": "/repos/", "decision": "allow",
               "inject": {"Authorization": "token ${secret:GITHUB_TOKEN}"}},
              {"host": "evil.com", "decision": "deny"}]}})");
        const EgressSummary s = p.summary();
        QCOMPARE(s.reach, (QStringList{QStringLiteral("GET https://*.github.com/repos/ (adds Authorization)"),
                                       QStringLiteral("BILLING → https://billing.example.internal/")}));
        QCOMPARE(s.credentials, (QStringList{QStringLiteral("BILLING_TOKEN"), QStringLiteral("GITHUB_TOKEN")}));
        QVERIFY(s.text().contains(QStringLiteral("adds credentials: BILLING_TOKEN, GITHUB_TOKEN")));
        QCOMPARE(EgressPolicy().summary().text(), QStringLiteral("no network (no egress rule or service binding)"));
    }

    void mistakesNameTheirJsonPath_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("error");
        QTest::newRow("egress type") << QByteArray(R"({"egress": []})")
                                     << "airlock.json: egress: must be an object {\"rules\": [...]}, not an array";
        QTest::newRow("unknown egress key")
            << QByteArray(R"({"egress": {"rule": []}})") << "airlock.json: egress.rule: unknown key \"rule\"";
        QTest::newRow("unknown rule key")
            << QByteArray(R"({"egress": {"rules": [{"host": "a.com", "decision": "allow", "method": ["GET"]}]}})")
            << "airlock.json: egress.rules[0].method: unknown key \"method\"";
        QTest::newRow("no host") << QByteArray(R"({"egress": {"rules": [{"decision": "allow"}]}})")
                                 << "airlock.json: egress.rules[0]: has no \"host\"";
        QTest::newRow("bad host") << QByteArray(R"({"egress": {"rules": [{"host": "a b", "decision": "allow"}]}})")
                                  << "airlock.json: egress.rules[0].host: \"a b\" is not a host name";
        QTest::newRow("inner star") << QByteArray(
                                           R"({"egress": {"rules": [{"host": "a.*.com", "decision": "allow"}]}})")
                                    << "airlock.json: egress.rules[0].host: \"a.*.com\": \"*\" may only stand first";
        QTest::newRow("wildcard ip") << QByteArray(
                                            R"({"egress": {"rules": [{"host": "*.10.0.0.1", "decision": "allow"}]}})")
                                     << "airlock.json: egress.rules[0].host:";
        QTest::newRow("no decision") << QByteArray(R"({"egress": {"rules": [{"host": "a.com"}]}})")
                                     << "airlock.json: egress.rules[0]: has no \"decision\"";
        QTest::newRow("bad decision") << QByteArray(R"({"egress": {"rules": [{"host": "a.com", "decision": "ask"}]}})")
                                      << "airlock.json: egress.rules[0].decision: \"decision\" must be";
        QTest::newRow("bad port")
            << QByteArray(R"({"egress": {"rules": [{"host": "a.com", "port": [443, 70000], "decision": "allow"}]}})")
            << "airlock.json: egress.rules[0].port[1]: must be a whole number from 1 to 65535";
        QTest::newRow("bad scheme")
            << QByteArray(R"({"egress": {"rules": [{"host": "a.com", "scheme": "ftp", "decision": "allow"}]}})")
            << "airlock.json: egress.rules[0].scheme: must be \"https\" or \"http\"";
        QTest::newRow("bad method")
            << QByteArray(R"({"egress": {"rules": [{"host": "a.com", "methods": ["G T"], "decision": "allow"}]}})")
            << "airlock.json: egress.rules[0].methods[0]: must be an HTTP method";
        QTest::newRow("bad path")
            << QByteArray(R"({"egress": {"rules": [{"host": "a.com", "path": "repos", "decision": "allow"}]}})")
            << "airlock.json: egress.rules[0].path: must be a path prefix starting with \"/\"";
        QTest::newRow("inject on deny")
            << QByteArray(R"({"egress": {"rules": [{"host": "a.com", "decision": "deny", "inject": {"X": "y"}}]}})")
            << "airlock.json: egress.rules[0].inject: a deny rule sends nothing";
        QTest::newRow("inject over http")
            << QByteArray(R"({"egress": {"rules": [{"host": "a.com", "scheme": "http", "decision": "allow",
                             "inject": {"X": "${secret:T}"}}]}})")
            << "airlock.json: egress.rules[0].inject: credentials are sent over https only";
        QTest::newRow("inject to any host")
            << QByteArray(
                   R"({"egress": {"rules": [{"host": "*", "decision": "allow", "inject": {"X": "${secret:T}"}}]}})")
            << "airlock.json: egress.rules[0].inject: credentials go to named hosts only";
        QTest::newRow("bad placeholder")
            << QByteArray(R"({"egress": {"rules": [{"host": "a.com", "decision": "allow",
                             "inject": {"Authorization": "Bearer ${secret:}"}}]}})")
            << "airlock.json: egress.rules[0].inject.Authorization: the value of \"Authorization\" has a \"${\"";
        QTest::newRow("inject host")
            << QByteArray(
                   R"({"egress": {"rules": [{"host": "a.com", "decision": "allow", "inject": {"Host": "b.com"}}]}})")
            << "airlock.json: egress.rules[0].inject.Host: \"Host\" is set by the egress gate itself";
        QTest::newRow("header twice") << QByteArray(R"({"egress": {"rules": [{"host": "a.com", "decision": "allow",
                             "inject": {"X-K": "1", "x-k": "2"}}]}})")
                                      << "is named twice";
        QTest::newRow("binding type") << QByteArray(R"({"bindings": {"B": {"type": "queue"}}})")
                                      << "airlock.json: bindings.B.type: \"type\" must be \"service\", \"text\", "
                                         "\"bucket\" (or \"r2\") or \"email\"";
        QTest::newRow("binding url") << QByteArray(R"({"bindings": {"B": {"type": "service", "url": "ftp:\/\/x"}}})")
                                     << "airlock.json: bindings.B.url: \"ftp://x\" is not a URL";
        QTest::newRow("binding query")
            << QByteArray(R"({"bindings": {"B": {"type": "service", "url": "https:\/\/x.com/?a=1"}}})")
            << "airlock.json: bindings.B.url: a binding's URL is an origin and a path";
        QTest::newRow("binding name") << QByteArray(R"({"bindings": {"my-svc": {"type": "text", "value": "v"}}})")
                                      << "airlock.json: bindings.my-svc: \"my-svc\" is not a binding name";
        QTest::newRow("binding case") << QByteArray(R"({"bindings": {"Billing": {"type": "text", "value": "v"},
                                           "BILLING": {"type": "text", "value": "w"}}})")
                                      << "differs from another binding's name only in case";
        QTest::newRow("text key") << QByteArray(R"({"bindings": {"B": {"type": "text", "value": "v", "url": "x"}}})")
                                  << "airlock.json: bindings.B.url: unknown key \"url\" for a text binding";
        QTest::newRow("binding user")
            << QByteArray(R"({"bindings": {"B": {"type": "service", "url": "https:\/\/u:p@x.com"}}})")
            << "it carries a user name or password";
    }
    void mistakesNameTheirJsonPath()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, error);
        const QString message = projectError(json);
        QVERIFY2(message.contains(error), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("(line ")), qPrintable(message));
    }

    void projectConfigKeepsThePolicy()
    {
        auto c = ProjectConfig::parse(R"({"model": "m", "egress": {"rules": [
            {"host": "api.github.com", "decision": "allow"}]},
            "bindings": {"REGION": {"type": "text", "value": "eu"}}})",
                                      QStringLiteral("airlock.json"));
        QVERIFY2(c, c ? "" : qPrintable(c.error().message));
        QCOMPARE(c->egress.rules().size(), 1);
        QCOMPARE(c->egress.bindings().size(), 1);
        QVERIFY(c->egress.decide("GET", QStringLiteral("https://api.github.com/")).allowed);
        // The strict reader refuses a duplicated rule key.
        QVERIFY(!ProjectConfig::parse(R"({"egress": {"rules": [{"host": "a.com", "host": "b.com",
            "decision": "allow"}]}})",
                                      QStringLiteral("airlock.json")));
    }

    void secretsRenderOnlyWhenSent()
    {
        auto t = EgressHeaderTemplate::parse(QStringLiteral("Authorization"),
                                             QStringLiteral("Basic ${secret:USER}:${secret:PASS} $x"));
        QVERIFY(t);
        QCOMPARE(t->secretNames(), (QStringList{QStringLiteral("USER"), QStringLiteral("PASS")}));
        auto v = t->render([](const QString &n) -> Result<QString> { return n.toLower(); });
        QVERIFY(v);
        QCOMPARE(*v, QByteArray("Basic user:pass $x"));
        auto split = t->render([](const QString &) -> Result<QString> { return QStringLiteral("a\r\nX-Evil: 1"); });
        QVERIFY(!split);
        QVERIFY(split.error().message.contains(QStringLiteral("line break")));
        QVERIFY(!split.error().message.contains(QStringLiteral("X-Evil")));
        auto missing = t->render([](const QString &) -> Result<QString> {
            return Error::make(Error::Code::NotFound, QStringLiteral("not in the keychain"));
        });
        QVERIFY(!missing);
        QVERIFY(missing.error().message.contains(QStringLiteral("the secret USER")));
    }
};

QTEST_GUILESS_MAIN(TestEgressPolicy)
#include "tst_egress_policy.moc"
