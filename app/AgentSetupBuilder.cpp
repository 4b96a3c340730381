#include "app/AgentSetupBuilder.h"

#include "app/BindingHostFactory.h"
#include "app/BrowserTools.h"
#include "app/McpTools.h"
#include "app/PlatformToolSandbox.h"

#include "core/agent/SideEvents.h"
#include "core/project/PolicyFile.h"
#include "core/project/ProjectConfig.h"
#include "core/project/RuleToolCheck.h"
#include "core/secrets/SecretRedactor.h"
#include "core/secrets/SecretResolver.h"
#include "core/secrets/SecretStore.h"
#include "core/storage/SessionStateDir.h"
#include "core/tools/JsonSchemaValidator.h"
#include "sandbox/egress/EgressGate.h"
#include "sandbox/isolate/IsolateSandbox.h"
#include "sandbox/microvm/MicroVmSandbox.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>

namespace airlock {
namespace {

// The session's egress: one gate every sandbox request passes (its records become
// the session's egress.request events), the secrets it adds, and the redaction
// that keeps their values out of everything the session records.
struct SessionEgress {
    std::shared_ptr<const EgressGate> gate;
    std::shared_ptr<SecretRedactor> redactor;
    // The session's interception CA: one per session, made here and held only in
    // this process's memory (the guest gets its certificate, never its key).
    std::shared_ptr<const InterceptionCa> ca;
    // The ports the session's VM forwards, published by the VM, read by the gate:
    // the browser tools may open http://localhost:<forwarded port>.
    std::shared_ptr<LoopbackForwards> forwards;
};

Result<SessionEgress> makeSessionEgress(const AgentChoices &c, const QString &id, const QString &apiKey,
                                        EgressAuditSink audit)
{
    SessionEgress out;
    out.redactor = std::make_shared<SecretRedactor>();
    const SecretResolver secrets(c.secretEnv);
    // Every secret the project names, resolved now so its value is redacted from
    // the first event on. One that cannot be resolved yet is not an error here:
    // the gate says why when a request needs it.
    QStringList names = c.secretEnv.keys();
    for (const QString &name : c.egress.summary().credentials)
        if (!names.contains(name))
            names << name;
    for (const QString &name : names)
        if (auto value = secrets.resolve(name))
            (void)out.redactor->add(name, *value); // too short to redact: refused, and then never injected either
    if (!apiKey.isEmpty())
        (void)out.redactor->add(QStringLiteral("API_KEY"), apiKey);
    // A value the gate resolves later (set while the session runs, or changed) is
    // redacted from then on.
    EgressSecretResolver resolve = [resolveSecret = secrets.asEgressResolver(),
                                    redactor = out.redactor](const QString &name) -> Result<QString> {
        Result<QString> value = resolveSecret(name);
        if (value && redactor->redact(*value) == *value)
            (void)redactor->add(name, *value);
        return value;
    };
    EgressGate::Options options;
    out.forwards = std::make_shared<LoopbackForwards>();
    options.forwards = out.forwards;
    if (!c.egress.caFile().isEmpty())
        options.extraCaFile =
            QDir(c.projectDir.isEmpty() ? QDir::currentPath() : c.projectDir).absoluteFilePath(c.egress.caFile());
    auto gate = EgressGate::create(c.egress, std::move(resolve), std::move(audit), options);
    if (!gate)
        return gate.error();
    out.gate = std::move(*gate);
    auto ca = InterceptionCa::create(id);
    if (!ca)
        return ca.error();
    out.ca = std::move(*ca);
    return out;
}

// The text bindings, as a tool's `env` holds them (service bindings are objects the
// prelude makes; secrets are never in env).
QJsonObject textBindings(const EgressPolicy &policy)
{
    QJsonObject env;
    for (const EgressBinding &b : policy.bindings())
        if (b.type == EgressBinding::Type::Text)
            env.insert(b.name, b.value);
    return env;
}

QStringList serviceBindings(const EgressPolicy &policy)
{
    QStringList names;
    for (const EgressBinding &b : policy.bindings())
        if (b.type == EgressBinding::Type::Service)
            names << b.name;
    return names;
}

// The r2 and email bindings, as the isolate makes them into env objects.
QJsonObject objectBindings(const EgressPolicy &policy)
{
    QJsonObject out;
    for (const EgressBinding &b : policy.bindings())
        if (b.type == EgressBinding::Type::R2 || b.type == EgressBinding::Type::Email)
            out.insert(b.name, EgressBinding::typeName(b.type));
    return out;
}

} // namespace

Result<AgentSetup> AgentSetupBuilder::build(const AgentChoices &c)
{
    auto bad = [](QString message) { return Error::make(Error::Code::BadInput, std::move(message)); };
    if (c.provider != QLatin1String("anthropic") && c.provider != QLatin1String("openai"))
        return bad(QStringLiteral("unknown provider \"%1\": use anthropic or openai").arg(c.provider));
    if (!c.sandbox.isEmpty() && c.sandbox != QLatin1String("isolate") && c.sandbox != QLatin1String("microvm"))
        return bad(QStringLiteral("unknown sandbox \"%1\": use isolate or microvm").arg(c.sandbox));

    AgentSetup setup;
    ProviderConfig &p = setup.options.provider;
    p.kind = c.provider == QLatin1String("openai") ? ProviderKind::OpenAi : ProviderKind::Anthropic;
    p.baseUrl = c.baseUrl.isEmpty() ? ProviderConfig::defaultBaseUrl(p.kind) : c.baseUrl;
    p.model = c.model;
    if (p.model.isEmpty())
        p.model =
            p.kind == ProviderKind::Anthropic ? QStringLiteral("claude-sonnet-4-5") : QStringLiteral("gpt-4o-mini");
    if (!c.anthropicVersion.isEmpty())
        p.anthropicVersion = c.anthropicVersion;
    if (!c.modelImages)
        p.imageInput = ProviderConfig::ImageInput::TextOnly;
    if (!c.withoutModel) {
        auto key = SecretStore().apiKey(c.provider, c.apiKeyEnv);
        if (key)
            p.apiKey = *key;
        else if (p.kind == ProviderKind::Anthropic || !c.apiKeyEnv.isEmpty())
            return key.error(); // an OpenAI-compatible local server (Ollama, llama.cpp) may need no key
    }

    if (!c.projectRules.isEmpty()) {
        // ProjectFile read these strictly; parsed again here so each rule knows its origin.
        QList<PolicyRule> rules;
        QStringList errors;
        PolicyFile::parseRules(StrictJsonDocument(), c.projectRules, QStringLiteral("policy.rules"),
                               QDir(c.projectDir).filePath(QStringLiteral("airlock.json")), rules, errors);
        if (!errors.isEmpty())
            return bad(errors.join(u'\n'));
        setup.policy.appendRules(rules);
    }
    setup.options.projectDir = c.projectDir;
    if (c.maxTurns > 0)
        setup.options.maxTurns = c.maxTurns;
    setup.options.maxTotalTokens = c.maxTotalTokens;
    setup.options.maxCostUsd = c.maxCostUsd;
    setup.options.sessionId = c.sessionId;
    if (c.checkpointMaxCount)
        setup.options.checkpoints.maxCount = *c.checkpointMaxCount;
    if (c.checkpointMaxMb)
        setup.options.checkpoints.maxBytes = *c.checkpointMaxMb * 1024 * 1024;
    if (!c.policyFile.isEmpty()) {
        auto parsed = PolicyFile::load(c.policyFile); // strict: duplicate keys, types, JSON paths
        if (!parsed)
            return parsed.error();
        setup.policy.appendRules(parsed->rules()); // after the project's own rules
    }

    if (!c.readOnlyTools.isEmpty()) {
        const auto readOnly = PolicyEngine::readOnlyToolsFromName(c.readOnlyTools);
        if (!readOnly)
            return bad(QStringLiteral("read-only tools: \"%1\" is not run or ask").arg(c.readOnlyTools));
        setup.policy.setReadOnlyTools(*readOnly);
    }

    std::optional<SessionEgress> egress;
    const bool platformTools = !PlatformToolSandbox::toolDescriptions(c.egress).isEmpty();
    // MCP servers too: the secrets their env and headers name are redacted like the gate's.
    if (!c.toolFiles.isEmpty() || c.sandbox == QLatin1String("microvm") || c.browser || platformTools ||
        !c.mcpServers.isEmpty()) {
        auto side = std::make_shared<SideEvents>();
        auto made = makeSessionEgress(c, c.sessionId, p.apiKey, [side](const EgressAuditRecord &record) {
            side->post(EventKind::Egress, record.toEvent().toJson());
        });
        if (!made)
            return made.error();
        egress = std::move(*made);
        setup.options.sideEvents = side;
        setup.options.redact = [redactor = egress->redactor](const QString &text) { return redactor->redact(text); };
    }

    std::shared_ptr<IsolateSandbox> isolate;
    const QJsonObject env = textBindings(c.egress);
    for (const QString &file : c.toolFiles) {
        if (!isolate) {
            isolate = std::make_shared<IsolateSandbox>();
            isolate->setEgress([gate = egress->gate](const EgressRequest &request) { return gate->fetch(request); });
            isolate->setServiceBindings(serviceBindings(c.egress));
            isolate->setBindingHost(BindingHostFactory::make(egress->gate));
            isolate->setObjectBindings(objectBindings(c.egress));
        }
        auto described = isolate->loadToolFile(file);
        if (!described)
            return described.error();
        for (const QJsonValue &d : *described) {
            AgentTool t = AgentTool::fromDescription(d.toObject(), isolate,
                                                     QStringLiteral("js:") + QFileInfo(file).absoluteFilePath());
            if (!env.isEmpty())
                isolate->setEnv(t.spec.name, env);
            t.network = c.egress.summary();
            setup.tools.push_back(std::move(t));
        }
    }
    if (c.sandbox == QLatin1String("microvm")) {
        MicroVmOptions vm;
        vm.sessionId =
            c.sessionId.isEmpty() ? QStringLiteral("pid%1").arg(QCoreApplication::applicationPid()) : c.sessionId;
        vm.workspaceDir = QFileInfo(c.workspace.isEmpty() ? QDir::currentPath() : c.workspace).absoluteFilePath();
        setup.workspaceDir = vm.workspaceDir;
        setup.options.workspaceDir = vm.workspaceDir;
        // The project's "limits": {"workspace_quota_mb"}: 0 or less turns the quota off.
        if (c.workspaceQuotaMb)
            vm.workspaceQuotaBytes = *c.workspaceQuotaMb > 0 ? *c.workspaceQuotaMb * 1024 * 1024 : -1;
        if (!QFileInfo(vm.workspaceDir).isDir())
            return bad(QStringLiteral("workspace %1 is not a folder").arg(vm.workspaceDir));
        applyVmChoices(c.vm, vm);
        if (vm.guest == QLatin1String("debian") && SessionStateDir::isSafeId(c.sessionId))
            vm.diskPath = sessionDiskPath(c.sessionId);
        vm.egress = egress->gate; // the guest's loopback proxy ends here
        vm.interceptionCa = egress->ca;
        vm.publishedForwards = egress->forwards;
        if (!c.projectDir.isEmpty()) {
            Result<QList<PortForward>> forwards = projectForwards(c.projectDir);
            if (!forwards)
                return forwards.error();
            vm.forwards = *forwards;
        }
        // The sandbox describes its own tools, so schema and implementation agree.
        auto sandbox = std::make_shared<MicroVmSandbox>(vm);
        for (const QJsonValue &d : MicroVmSandbox::toolDescriptions(vm.guest)) {
            AgentTool t = AgentTool::fromDescription(d.toObject(), sandbox, QStringLiteral("builtin:microvm"));
            t.plannedWrite = [tool = t.spec.name, workspace = vm.workspaceDir](const QJsonObject &input) {
                return MicroVmSandbox::plannedWrite(tool, input, workspace);
            };
            if (t.spec.name == QLatin1String("exec")) {
                t.shellField = QStringLiteral("command"); // a command line: policy checks it is simple
                t.timeoutMs = 120000;
                // A command reaches what the project's egress allows (curl, git, pip
                // through the guest's proxy); the file tools stay inside.
                t.network = c.egress.summary();
                if (!t.network.isEmpty())
                    t.annotations.openWorld = true;
            }
            setup.tools.push_back(std::move(t));
        }
    }
    // Where the browser's screenshots and downloads go and what MCP servers get as
    // their root: the VM's shared folder, else the chosen workspace, else here.
    const QString toolWorkspace = !setup.workspaceDir.isEmpty() ? setup.workspaceDir
                                  : !c.workspace.isEmpty()      ? QFileInfo(c.workspace).absoluteFilePath()
                                                                : QDir::currentPath();
    if (c.browser)
        BrowserTools::add(setup, c, egress->gate, toolWorkspace);
    // host_file and send_email, when the project has a bucket or an email binding.
    if (platformTools) {
        auto host = std::make_shared<PlatformToolSandbox>(egress->gate, toolWorkspace);
        for (const QJsonValue &d : PlatformToolSandbox::toolDescriptions(c.egress)) {
            AgentTool t = AgentTool::fromDescription(d.toObject(), host, QStringLiteral("builtin:platform"));
            t.timeoutMs = 120000; // a large upload, a slow mail server
            t.network = c.egress.summary();
            t.allowOnlyByName = PlatformToolSandbox::allowsOnlyByName(t.spec.name);
            t.describeCall = [policy = c.egress, workspace = toolWorkspace, tool = t.spec.name](const QJsonObject &in) {
                return PlatformToolSandbox::describeCall(policy, workspace, tool, in);
            };
            setup.tools.push_back(std::move(t));
        }
    }
    if (Status servers = McpTools::add(setup, c, toolWorkspace, egress ? egress->redactor : nullptr); !servers)
        return servers.error();
    if (c.toolTimeoutMs > 0)
        for (AgentTool &t : setup.tools)
            t.timeoutMs = c.toolTimeoutMs;
    QStringList names;
    for (const AgentTool &t : setup.tools) {
        // A schema the validator cannot fully enforce would let unchecked input through.
        if (const Status schema = JsonSchemaValidator::checkSchema(t.spec.inputSchema); !schema)
            return bad(QStringLiteral("tool \"%1\" (%2) has an input schema Airlock cannot enforce: %3")
                           .arg(t.spec.name, t.source, schema.error().message));
        if (names.contains(t.spec.name))
            return bad(QStringLiteral("two tools are named \"%1\"").arg(t.spec.name));
        names << t.spec.name;
    }
    // Every rule against the tools now loaded: one that could never fire (a tool
    // or an input field that is not there) is refused before anything runs.
    QList<ToolSchema> schemas;
    for (const AgentTool &t : setup.tools)
        schemas.append({t.spec.name, t.spec.inputSchema});
    if (const QStringList problems = RuleToolCheck::check(setup.policy.rules(), schemas); !problems.isEmpty())
        return bad(problems.join(u'\n'));
    return setup;
}

Result<QList<PortForward>> AgentSetupBuilder::projectForwards(const QString &projectDir)
{
    // Read here rather than carried in VmChoices: the forwards are the microVM's
    // alone, and the file was checked whole when the project was loaded.
    const QString path = QDir(projectDir).filePath(QStringLiteral("airlock.json"));
    QFile f(path);
    if (!f.exists())
        return QList<PortForward>();
    if (!f.open(QIODevice::ReadOnly))
        return Error::make(Error::Code::Io, QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
    Result<ProjectConfig> config = ProjectConfig::parse(f.read(StrictJson::kMaxBytes + 1), path);
    if (!config)
        return config.error();
    QList<PortForward> out;
    for (const ProjectVmForward &v : config->vm.forward)
        out << PortForward{v.guestPort, v.hostPort};
    return out;
}

void AgentSetupBuilder::applyVmChoices(const VmChoices &vm, MicroVmOptions &options)
{
    const bool debian = vm.image == QLatin1String("debian") || (vm.image.isEmpty() && !vm.packages.isEmpty());
    options.guest = debian ? QStringLiteral("debian") : QStringLiteral("busybox");
    options.packages = vm.packages;
    options.memoryMiB = vm.memoryMb > 0 ? vm.memoryMb : (debian ? 1024 : options.memoryMiB);
    if (vm.cpus > 0)
        options.vcpus = vm.cpus;
    if (vm.diskGb > 0)
        options.diskBytes = qint64(vm.diskGb) << 30;
}

Result<AgentSetupBuilder::VmEgress> AgentSetupBuilder::vmEgress(const AgentChoices &choices, const QString &id,
                                                                EgressAuditSink audit)
{
    auto made = makeSessionEgress(choices, id, QString(), std::move(audit));
    if (!made)
        return made.error();
    return VmEgress{made->gate, made->ca};
}

QString AgentSetupBuilder::sessionDiskPath(const QString &sessionId)
{
    return SessionStateDir::of(sessionId) + QStringLiteral("/vm/disk.qcow2");
}

} // namespace airlock
