#!/usr/bin/env python3
"""The include graph of core/, sandbox/, ui/ and app/ against the layers DESIGN.md
draws ("Layout"): dependencies point one way, app -> ui -> core and sandbox -> core;
only the isolate helper includes V8, only the microVM library libvirt, only the
providers libcurl, and nothing outside ui/ and app/ a Qt Widgets header.

Usage: check_includes.py SOURCE_DIR [QT_WIDGETS_INCLUDE_DIR...]
Prints one line per crossing (file:line: what, the rule) and exits 1 if any.
"""

import os
import re
import sys

# Folder -> the folders its quoted includes may name (its own is always allowed).
# The first matching prefix (longest first) decides. The core modules are listed as
# they depend on each other today; a new edge is a design decision, made here.
ALLOWED = {
    "core/util": [],
    "core/events": ["core/util"],
    "core/storage": ["core/events", "core/util"],
    "core/sessions": ["core/events", "core/storage", "core/util"],
    "core/sandbox": ["core/util"],
    "core/secrets": ["core/util"],
    "core/tools": ["core/util"],
    "core/workspace": ["core/util"],
    "core/providers": ["core/events", "core/util"],
    "core/policy": ["core/project", "core/util"],
    "core/project": ["core/egress", "core/policy", "core/util"],
    # The egress rules read JSON paths the project reader's way (JsonPath.h only).
    "core/egress": ["core/project", "core/util"],
    # The agent knows sandboxes by core's interface and keys as a ProviderConfig:
    # no core/secrets (the keychain is wired in app/). It carries the project's
    # egress policy (core/egress: rules, no I/O) to the composition root.
    "core/agent": ["core/egress", "core/events", "core/policy", "core/project", "core/providers", "core/sandbox",
                   "core/storage", "core/tools", "core/util", "core/workspace"],
    # The MCP client reaches HTTP servers the providers' way (CurlTransfer,
    # HttpRequest, SseParser), reads JSON paths with the project's JsonPath.h, and
    # offers a server as a Sandbox (core's interface).
    "core/mcp": ["core/project", "core/providers", "core/sandbox", "core/util"],
    "core": [],  # a new core folder starts with no edges
    "sandbox/wire": [],  # the framing both private wires share: no Qt, nothing else
    "sandbox/guest": ["sandbox/wire"],  # the guest agent and its protocol: no Qt, nothing of the host
    "sandbox/isolate": ["core/sandbox", "core/util", "sandbox/wire"],
    # The guest's proxy ends at the session's egress gate (GuestEgressBridge).
    "sandbox/microvm": ["core/sandbox", "core/util", "sandbox/egress", "sandbox/guest/protocol", "sandbox/wire"],
    # Its audit records become the session's events (core/events' payloads).
    "sandbox/egress": ["core/egress", "core/events", "core/project", "core/sandbox", "core/util"],
    # The browser reaches the network only through an EgressFetch (core/sandbox).
    "sandbox/browser": ["core/sandbox", "core/util"],
    "sandbox": ["core/sandbox", "core/util"],
    "ui": ["core", "ui"],
    "app": ["core", "ui", "sandbox", "app"],
}

# System headers only some folders may include: (pattern, allowed folder prefixes, why).
SYSTEM_RULES = [
    (re.compile(r"^(v8\.h|v8-[^/]*\.h|libplatform/)"), ["sandbox/isolate/jsd/", "sandbox/isolate/V8Platform."],
     "only the isolate helper (airlock-jsd) embeds V8"),
    (re.compile(r"^libvirt/"), ["sandbox/microvm/"], "only the microVM library talks to libvirt"),
    (re.compile(r"^curl/"), ["core/providers/", "core/mcp/", "sandbox/egress/"],
     "only the providers, the MCP client and the egress gate call libcurl"),
]

QUOTED = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
ANGLED = re.compile(r"^\s*#\s*include\s*<([^>]+)>")
SOURCES = (".h", ".hpp", ".cpp", ".cc", ".in")


def module_of(path):
    return path.split("/")[0] if path.count("/") < 2 else "/".join(path.split("/")[:2])


def rule_for(path):
    for prefix in sorted(ALLOWED, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "/"):
            return prefix
    return None


def under(path, prefixes):
    return any(path == p or path.startswith(p + "/") or (p.endswith((".", "/")) and path.startswith(p))
               for p in prefixes)


def main():
    src = sys.argv[1]
    widget_headers = set()
    for d in sys.argv[2:]:
        for inc in d.split(";"):
            if os.path.basename(inc.rstrip("/")) == "QtWidgets" and os.path.isdir(inc):
                widget_headers.update(os.listdir(inc))
    problems = []
    for top in ("core", "sandbox", "ui", "app"):
        for dirpath, _, files in os.walk(os.path.join(src, top)):
            for name in sorted(files):
                if not name.endswith(SOURCES):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, src).replace(os.sep, "/")
                rule = rule_for(rel)
                own = module_of(rel)
                with open(full, encoding="utf-8", errors="replace") as f:
                    for number, line in enumerate(f, 1):
                        where = f"{rel}:{number}"
                        m = QUOTED.match(line)
                        if m:
                            inc = m.group(1)
                            if "/" not in inc:
                                continue  # generated next to the build (AirlockVersion.h, *.moc)
                            if inc.startswith(own + "/"):
                                continue
                            if not under(inc, ALLOWED[rule]):
                                problems.append(f'{where}: includes "{inc}": {rule}/ may include only '
                                                f'{", ".join(ALLOWED[rule]) or "itself"}')
                            continue
                        m = ANGLED.match(line)
                        if not m:
                            continue
                        inc = m.group(1)
                        for pattern, allowed, why in SYSTEM_RULES:
                            if pattern.match(inc) and not under(rel, allowed):
                                problems.append(f"{where}: includes <{inc}>: {why}")
                        if top in ("core", "sandbox") and (inc.startswith("QtWidgets/") or inc in widget_headers):
                            problems.append(f"{where}: includes <{inc}>: {top}/ has no widgets (Qt Widgets is ui/'s)")
    for p in problems:
        print(p)
    if not widget_headers:
        print("layering_includes: no QtWidgets include folder given; widget headers not checked", file=sys.stderr)
    print(f"layering_includes: {len(problems)} crossing(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
