#include "app/CliCommands.h"

namespace airlock {

const QList<CommandSpec> &CliCommands::all()
{
    static const QList<CommandSpec> commands{chat(), keys(), mcp(), policy(), secrets(), sessions(), tool(), vm()};
    return commands;
}

const CommandSpec *CliCommands::find(const QString &name)
{
    for (const CommandSpec &c : all())
        if (c.name == name)
            return &c;
    return nullptr;
}

CommandSpec CliCommands::chat()
{
    CommandSpec c;
    c.name = QStringLiteral("chat");
    c.summary = QStringLiteral("send one prompt to a model; its tool calls run in a sandbox, with approval");
    c.arguments = {
        {QStringLiteral("PROMPT"), QStringLiteral("what to ask (several words are joined with spaces)"), false, true}};
    c.singleDashWordsArePlain = true;
    c.options = {
        {QStringLiteral("project"), QStringLiteral("DIR"),
         QStringLiteral("use DIR/airlock.json (tools, policy, sandbox); [p] approvals are kept there")},
        {QStringLiteral("provider"), QStringLiteral("NAME"),
         QStringLiteral("anthropic (default) or openai (any OpenAI-compatible server)")},
        {QStringLiteral("base-url"), QStringLiteral("URL"),
         QStringLiteral("the provider's endpoint (default: its public API)")},
        {QStringLiteral("model"), QStringLiteral("ID"), QStringLiteral("the model to use (default: $AIRLOCK_MODEL)")},
        {QStringLiteral("api-key-env"), QStringLiteral("VAR"),
         QStringLiteral("read the API key from environment variable VAR (default: the keychain)")},
        {QStringLiteral("anthropic-version"), QStringLiteral("DATE"),
         QStringLiteral("the anthropic-version header to send")},
        {QStringLiteral("tool"), QStringLiteral("FILE.js"),
         QStringLiteral("offer the JavaScript tool in FILE.js to the model (repeatable)"), true},
        {QStringLiteral("sandbox"), QStringLiteral("KIND"),
         QStringLiteral("where built-in tools run: isolate or microvm")},
        {QStringLiteral("workspace"), QStringLiteral("DIR"),
         QStringLiteral("the folder shared with the sandbox VM (default: the current folder)")},
        {QStringLiteral("policy"), QStringLiteral("FILE"), QStringLiteral("policy rules for tool calls (JSON)")},
        {QStringLiteral("auto-approve"), {}, QStringLiteral("run calls the policy would ask about without asking")},
        {QStringLiteral("deny-all"), {}, QStringLiteral("deny calls the policy would ask about without asking")},
        {QStringLiteral("session"), QStringLiteral("ID"),
         QStringLiteral("continue session ID (a unique prefix is enough)")},
        {QStringLiteral("max-turns"), QStringLiteral("N"),
         QStringLiteral("stop after N model turns for this prompt (default: 25)")},
        {QStringLiteral("max-tokens"), QStringLiteral("N"), QStringLiteral("stop once the session used N tokens")},
        {QStringLiteral("max-cost"), QStringLiteral("USD"),
         QStringLiteral("stop once the session cost USD US dollars (1.50 or $1.50)")},
        {QStringLiteral("system"), QStringLiteral("TEXT"), QStringLiteral("the system prompt")},
        {QStringLiteral("prices"), QStringLiteral("FILE"),
         QStringLiteral("model prices (JSON) for the cost figures and --max-cost")},
        {QStringLiteral("json"), {}, QStringLiteral("print the session's events as JSON lines, nothing else")},
    };
    c.notes = {QStringLiteral("Without a terminal to ask on, calls that need approval are denied.")};
    return c;
}

CommandSpec CliCommands::keys()
{
    const ArgumentSpec provider{QStringLiteral("PROVIDER"),
                                QStringLiteral("anthropic, openai, or a name of your own for another endpoint")};
    CommandSpec c;
    c.name = QStringLiteral("keys");
    c.summary = QStringLiteral("keep a provider's API key in the system keychain");
    c.subcommands = {
        {QStringLiteral("set"),
         QStringLiteral("store a key, read from standard input (hidden on a terminal)"),
         {provider}},
        {QStringLiteral("status"), QStringLiteral("say whether a key is stored (exit 1 when not)"), {provider}},
        {QStringLiteral("remove"), QStringLiteral("remove the stored key"), {provider}},
    };
    return c;
}

CommandSpec CliCommands::policy()
{
    CommandSpec test;
    test.name = QStringLiteral("test");
    test.summary = QStringLiteral("say what FILE's rules decide for one tool call");
    test.arguments = {{QStringLiteral("FILE"), QStringLiteral("a policy file; - for no rules (the defaults only)")}};
    test.options = {
        {QStringLiteral("call"), QStringLiteral("JSON"), QStringLiteral("the call to decide (required; see below)")},
        {QStringLiteral("json"), {}, QStringLiteral("print the decision as a JSON object")},
    };
    test.notes = {
        QStringLiteral("JSON: {\"tool\": NAME, \"input\": {...}, \"annotations\": {\"readOnlyHint\": true, ...},"),
        QStringLiteral("       \"shell_field\": \"command\"}   (shell_field defaults to \"command\" for the built-in "
                       "exec tool)"),
    };
    CommandSpec c;
    c.name = QStringLiteral("policy");
    c.summary = QStringLiteral("try policy rules without a model");
    c.subcommands = {test};
    return c;
}

CommandSpec CliCommands::secrets()
{
    const ArgumentSpec name{QStringLiteral("NAME"),
                            QStringLiteral("the secret's name, as in ${secret:NAME} (letters, digits, _)")};
    CommandSpec c;
    c.name = QStringLiteral("secrets");
    c.summary = QStringLiteral("keep the secrets a project names (bindings, egress credentials) in the keychain");
    c.subcommands = {
        {QStringLiteral("set"),
         QStringLiteral("store a value, read from standard input (hidden on a terminal)"),
         {name}},
        {QStringLiteral("list"),
         QStringLiteral("list the stored names, never values; marks names whose keychain entry is gone"),
         {},
         {{QStringLiteral("json"), {}, QStringLiteral("one JSON array of {name, keychain}")}}},
        {QStringLiteral("remove"), QStringLiteral("remove a stored secret"), {name}},
    };
    c.notes = {QStringLiteral("Without a keychain (a headless box), name an environment variable in airlock.json "
                              "instead: \"secrets\": {\"NAME\": {\"env\": \"VAR\"}}.")};
    return c;
}

CommandSpec CliCommands::sessions()
{
    const ArgumentSpec id{QStringLiteral("ID"), QStringLiteral("a session id, or a unique prefix of one")};
    const OptionSpec json{QStringLiteral("json"), {}, QStringLiteral("one JSON object per line")};
    CommandSpec c;
    c.name = QStringLiteral("sessions");
    c.summary = QStringLiteral("list, show, export and verify recorded sessions; undo their calls");
    c.subcommands = {
        {QStringLiteral("list"), QStringLiteral("list the recorded sessions"), {}, {json}},
        {QStringLiteral("show"), QStringLiteral("print a session's events as stored"), {id}, {json}},
        {QStringLiteral("export"),
         QStringLiteral("print a session as Markdown or as JSON"),
         {id},
         {{QStringLiteral("format"), QStringLiteral("md|json"),
           QStringLiteral("md (default): a readable transcript; json: every event")}}},
        {QStringLiteral("verify"), QStringLiteral("check a session's hash chain, head and seal"), {id}},
        {QStringLiteral("undo"),
         QStringLiteral("put the session's workspace back to before its latest call (or CALL_ID)"),
         {id},
         {{QStringLiteral("to"), QStringLiteral("CALL_ID"),
           QStringLiteral("undo this call and every checkpointed call after it")}}},
    };
    c.notes = {QStringLiteral("Only undo writes: it restores the workspace from the checkpoint kept before the call "
                              "and records it; the model hears of it with the next prompt (chat --session ID).")};
    return c;
}

CommandSpec CliCommands::tool()
{
    const ArgumentSpec file{QStringLiteral("FILE.js"), QStringLiteral("a file that calls defineTool(…)")};
    CommandSpec run;
    run.name = QStringLiteral("run");
    run.summary = QStringLiteral("run a tool once in the isolate: the result on stdout, logs on stderr");
    run.arguments = {file};
    run.options = {
        {QStringLiteral("tool"), QStringLiteral("NAME"),
         QStringLiteral("the tool to run, when FILE.js defines several")},
        {QStringLiteral("input"), QStringLiteral("JSON"), QStringLiteral("the tool's input object (default: {})")},
        {QStringLiteral("timeout-ms"), QStringLiteral("N"),
         QStringLiteral("stop the tool after N milliseconds (1 to 3600000, default 5000)")},
        {QStringLiteral("memory-mb"), QStringLiteral("N"),
         QStringLiteral("the isolate's heap limit in MiB (8 to 16384, default 128)")},
        {QStringLiteral("json"), {}, QStringLiteral("print exec.* events as JSON lines")},
    };
    CommandSpec call;
    call.name = QStringLiteral("call");
    call.summary = QStringLiteral("one call of any registered tool through validation, policy, approval and the "
                                  "event log, without a model");
    call.arguments = {
        {QStringLiteral("NAME"), QStringLiteral("the tool: a VM tool (exec, write_file, …) or a JS tool")}};
    call.options = {
        {QStringLiteral("input"), QStringLiteral("JSON"), QStringLiteral("the call's input object (default: {})")},
        {QStringLiteral("project"), QStringLiteral("DIR"),
         QStringLiteral("read DIR/airlock.json (tools, sandbox, vm, policy)")},
        {QStringLiteral("workspace"), QStringLiteral("DIR"),
         QStringLiteral("microvm: the folder shared as /workspace")},
        {QStringLiteral("sandbox"), QStringLiteral("NAME"), QStringLiteral("microvm: offer the VM's tools")},
        {QStringLiteral("tool"), QStringLiteral("FILE.js"), QStringLiteral("offer the tools FILE.js defines"), true},
        {QStringLiteral("policy"), QStringLiteral("FILE"), QStringLiteral("policy rules (as for chat)")},
        {QStringLiteral("session"), QStringLiteral("ID"),
         QStringLiteral("record the call in this session (its VM disk too)")},
        {QStringLiteral("auto-approve"), {}, QStringLiteral("run without asking when the policy says ask")},
        {QStringLiteral("deny-all"), {}, QStringLiteral("deny when the policy says ask")},
        {QStringLiteral("dry-run"),
         {},
         QStringLiteral("try the call in a throwaway fork of the sandbox and the workspace: prints its output and the "
                        "files it would change, keeps nothing")},
        {QStringLiteral("json"), {}, QStringLiteral("every event of the call as a JSON line")},
    };
    CommandSpec c;
    c.name = QStringLiteral("tool");
    c.summary = QStringLiteral("run or call a tool, or print its schema, without a model");
    c.subcommands = {
        run,
        {QStringLiteral("schema"), QStringLiteral("print the tool's name, description and JSON Schema"), {file}},
        call,
    };
    c.notes = {QStringLiteral("Exit 1 when the tool failed (or, for call, was denied); 2 for bad usage or bad input "
                              "(schema, syntax, import).")};
    return c;
}

CommandSpec CliCommands::mcp()
{
    const QList<OptionSpec> server{
        {QStringLiteral("stdio"), QStringLiteral("\"CMD ARGS\""),
         QStringLiteral("start the server as a child process (its words split as a shell would)")},
        {QStringLiteral("url"), QStringLiteral("URL"), QStringLiteral("reach the server over Streamable HTTP at URL")},
        {QStringLiteral("header"), QStringLiteral("\"NAME: VALUE\""),
         QStringLiteral("send this header with every HTTP request (repeatable)"), true},
        {QStringLiteral("server"), QStringLiteral("NAME"),
         QStringLiteral("the server NAME of the project's \"mcpServers\"")},
        {QStringLiteral("project"), QStringLiteral("DIR"),
         QStringLiteral("the project whose airlock.json --server reads (default: the current folder)")},
        {QStringLiteral("timeout-ms"), QStringLiteral("N"),
         QStringLiteral("give up on an answer after N milliseconds (default: 30000)")},
        {QStringLiteral("verbose"), {}, QStringLiteral("print the server's stderr and progress on stderr")},
        {QStringLiteral("json"), {}, QStringLiteral("print the server's answer as JSON")},
    };
    CommandSpec tools{QStringLiteral("tools"), QStringLiteral("list the server's tools"), {}, server};
    CommandSpec call{QStringLiteral("call"),
                     QStringLiteral("call one of the server's tools (no approval: you are the one asking)"),
                     {{QStringLiteral("TOOL"), QStringLiteral("the tool's name, as the server gives it")},
                      {QStringLiteral("ARGS"), QStringLiteral("its arguments as a JSON object (default: {})"), true}},
                     server};
    CommandSpec resources{
        QStringLiteral("resources"), QStringLiteral("list the server's resources and templates"), {}, server};
    CommandSpec read{QStringLiteral("read"),
                     QStringLiteral("read one resource"),
                     {{QStringLiteral("URI"), QStringLiteral("the resource's URI")}},
                     server};
    CommandSpec prompts{
        QStringLiteral("prompts"), QStringLiteral("list the server's prompts and their arguments"), {}, server};
    CommandSpec import{
        QStringLiteral("import"),
        QStringLiteral("add the servers of a Claude Desktop or Claude Code config to the project's airlock.json"),
        {{QStringLiteral("FILE"), QStringLiteral("the config file (default: the --from app's own, on this machine)"),
          true}},
        {{QStringLiteral("from"), QStringLiteral("APP"),
          QStringLiteral("claude-desktop (default) or claude-code (also its entry for the project's folder)")},
         {QStringLiteral("project"), QStringLiteral("DIR"),
          QStringLiteral("the project to add them to (default: the current folder)")},
         {QStringLiteral("only"), QStringLiteral("NAME"), QStringLiteral("import only the server NAME (repeatable)"),
          true},
         {QStringLiteral("dry-run"), {}, QStringLiteral("print what would be added, change nothing")}}};
    CommandSpec c;
    c.name = QStringLiteral("mcp");
    c.summary = QStringLiteral("list and call an MCP server's tools, resources and prompts; import servers from Claude "
                               "Desktop or Claude Code");
    c.subcommands = {tools, call, resources, read, prompts, import};
    c.notes = {QStringLiteral("A server runs here as a host process with your authority, as in a session's "
                              "\"mcpServers\"."),
               QStringLiteral("import keeps the project file as written and adds each server on a line of its own; a "
                              "name already there is left as it is. \"disabled\": true becomes \"enabled\": false; "
                              "a server Airlock could not run (the older SSE transport, unknown keys) is left out, "
                              "and said so."),
               QStringLiteral("Exit 1 when the server failed or the tool reported an error (isError); 2 for bad usage "
                              "or input.")};
    return c;
}

CommandSpec CliCommands::vm()
{
    CommandSpec exec;
    exec.name = QStringLiteral("exec");
    exec.summary = QStringLiteral("run COMMAND in a fresh sandbox VM and exit with its status");
    exec.arguments = {
        {QStringLiteral("COMMAND"), QStringLiteral("the guest command and its arguments, after --"), false, true}};
    exec.passesOnAfterDashes = true;
    exec.options = {
        {QStringLiteral("workspace"), QStringLiteral("DIR"),
         QStringLiteral("share DIR read-write as /workspace (default: nothing shared)")},
        {QStringLiteral("timeout-ms"), QStringLiteral("N"), QStringLiteral("kill the command after N milliseconds")},
        {QStringLiteral("stdin"), {}, QStringLiteral("pass this process's standard input to the command")},
        {QStringLiteral("uri"), QStringLiteral("URI"),
         QStringLiteral("libvirt connection (default: qemu:///system as root, else qemu:///session)")},
        {QStringLiteral("verbose"), {}, QStringLiteral("print the VM's boot and agent notices on stderr")},
        {QStringLiteral("project"), QStringLiteral("DIR"),
         QStringLiteral("use DIR/airlock.json's \"vm\": guest, packages, memory, vCPUs, disk")},
        {QStringLiteral("guest"), QStringLiteral("debian|busybox"),
         QStringLiteral("the guest userland (default: debian when the project names packages)")},
    };
    CommandSpec forward;
    forward.name = QStringLiteral("forward");
    forward.summary = QStringLiteral("run COMMAND (a server) in a fresh sandbox VM and forward guest ports to this "
                                     "machine's 127.0.0.1 until interrupted");
    forward.arguments = {
        {QStringLiteral("PORT[:HOSTPORT]"),
         QStringLiteral("a guest port, reached at 127.0.0.1:HOSTPORT (default: any free port)"), true, true},
        {QStringLiteral("COMMAND"), QStringLiteral("the guest command and its arguments, after --"), false, true}};
    forward.passesOnAfterDashes = true;
    forward.options = {
        {QStringLiteral("workspace"), QStringLiteral("DIR"),
         QStringLiteral("share DIR read-write as /workspace (default: nothing shared)")},
        {QStringLiteral("uri"), QStringLiteral("URI"),
         QStringLiteral("libvirt connection (default: qemu:///system as root, else qemu:///session)")},
        {QStringLiteral("verbose"), {}, QStringLiteral("print the VM's boot, agent and forward notices on stderr")},
        {QStringLiteral("project"), QStringLiteral("DIR"),
         QStringLiteral("use DIR/airlock.json's \"vm\" (its \"forward\" ports too) and egress")},
        {QStringLiteral("guest"), QStringLiteral("debian|busybox"),
         QStringLiteral("the guest userland (default: debian when the project names packages)")},
    };
    CommandSpec image;
    image.name = QStringLiteral("image");
    image.summary = QStringLiteral("build, list or garbage-collect the cached Debian guest images");
    image.arguments = {{QStringLiteral("ACTION"), QStringLiteral("build (default), list or gc"), true}};
    image.options = {
        {QStringLiteral("project"), QStringLiteral("DIR"),
         QStringLiteral("build the image DIR/airlock.json's vm.packages name (default: the base image)")},
        {QStringLiteral("rebuild"), {}, QStringLiteral("build again even when the image is cached")},
        {QStringLiteral("json"), {}, QStringLiteral("progress and result as JSON lines")},
    };
    CommandSpec c;
    c.name = QStringLiteral("vm");
    c.summary = QStringLiteral(
        "run a command in a microVM sandbox, as the agent's tools do; forward its ports; build guest images");
    c.subcommands = {exec, forward, image};
    c.notes = {QStringLiteral("Exit 124 when the command timed out, 127 when the guest cannot run it."),
               QStringLiteral("forward prints \"forwarding 127.0.0.1:H -> guest:P\" for each port once the VM is up, "
                              "then runs COMMAND; when COMMAND ends (a server that went to the background), it "
                              "keeps forwarding until interrupted (Ctrl-C or SIGTERM), then stops the VM. The "
                              "forwards listen on 127.0.0.1 only: reachable from this machine alone."),
               QStringLiteral("Images are cached in $AIRLOCK_IMAGE_CACHE (default ~/.cache/airlock/images), at most "
                              "$AIRLOCK_IMAGE_CACHE_MAX_MB (default 10240) MiB.")};
    return c;
}

} // namespace airlock
