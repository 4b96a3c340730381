#!/usr/bin/env python3
"""A small MCP server over stdio for the cases the npm servers do not show: pages
of tools/list, another protocol version, a line that is not JSON, an answer that
is neither result nor error, a request never answered, the server's own requests
(roots/list, sampling), a list that changes, an exit mid-call.

Usage: fake_mcp_server.py [--version V] [--stubborn]   (V: the protocolVersion it answers; default
the client's). What it receives that matters (cancellations, answers to its own
requests) it reports on stderr, which the client logs.
"""

import json
import signal
import sys
import time

version = None
# --stubborn: ignores SIGTERM and stays after stdin closes, as a hung server would.
stubborn = "--stubborn" in sys.argv
if stubborn:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if "--version" in sys.argv:
    version = sys.argv[sys.argv.index("--version") + 1]

extra_tool = False
next_id = 1000
waiting = {}  # id of our request to the server -> the client's request id it serves


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def log(text):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def tool(name):
    return {"name": name, "description": "fake " + name, "inputSchema": {"type": "object"},
            "annotations": {"readOnlyHint": True}}


def text_result(rid, text, is_error=False):
    send({"jsonrpc": "2.0", "id": rid, "result": {"content": [{"type": "text", "text": text}], "isError": is_error}})


PAGES = [["echo", "a.dotted/name"], ["garbage", "garbage_only", "malformed", "hang"],
         ["roots", "sample", "change", "die"]]

for raw in sys.stdin:
    raw = raw.strip()
    if not raw:
        continue
    msg = json.loads(raw)
    method = msg.get("method")
    rid = msg.get("id")
    if method is None:
        # An answer to one of our requests.
        if rid in waiting:
            client_id = waiting.pop(rid)
            answer = json.dumps(msg.get("result", msg.get("error")), sort_keys=True)
            text_result(client_id, answer, "error" in msg)
        continue
    if method == "initialize":
        v = version or msg["params"]["protocolVersion"]
        send({"jsonrpc": "2.0", "id": rid, "result": {"protocolVersion": v, "capabilities": {"tools": {"listChanged": True}},
                                                      "serverInfo": {"name": "fake", "version": "1.0"}}})
    elif method == "notifications/cancelled":
        log("cancelled %s: %s" % (msg["params"]["requestId"], msg["params"].get("reason", "")))
    elif method.startswith("notifications/"):
        pass
    elif method == "ping":
        send({"jsonrpc": "2.0", "id": rid, "result": {}})
    elif method == "tools/list":
        cursor = (msg.get("params") or {}).get("cursor")
        page = int(cursor) if cursor else 0
        tools = [tool(n) for n in PAGES[page]]
        if page == len(PAGES) - 1 and extra_tool:
            tools.append(tool("added"))
        result = {"tools": tools}
        if page + 1 < len(PAGES):
            result["nextCursor"] = str(page + 1)
        send({"jsonrpc": "2.0", "id": rid, "result": result})
    elif method == "tools/call":
        name = msg["params"]["name"]
        args = msg["params"].get("arguments", {})
        if name == "echo":
            text_result(rid, args.get("text", ""))
        elif name == "a.dotted/name":
            text_result(rid, "dotted")
        elif name == "garbage":
            sys.stdout.write("this is not json\n")
            sys.stdout.flush()
            text_result(rid, "after garbage")
        elif name == "garbage_only":
            sys.stdout.write("{not json either\n")
            sys.stdout.flush()
        elif name == "malformed":
            send({"jsonrpc": "2.0", "id": rid})
        elif name == "hang":
            pass
        elif name == "roots":
            waiting[next_id] = rid
            send({"jsonrpc": "2.0", "id": next_id, "method": "roots/list"})
            next_id += 1
        elif name == "sample":
            waiting[next_id] = rid
            send({"jsonrpc": "2.0", "id": next_id, "method": "sampling/createMessage",
                  "params": {"messages": [], "maxTokens": 10}})
            next_id += 1
        elif name == "change":
            extra_tool = True
            text_result(rid, "changed")
            send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
        elif name == "die":
            log("fake server: exiting mid-call")
            sys.exit(3)
        else:
            send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "Unknown tool: " + name}})
    else:
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "Method not found"}})

while stubborn:
    time.sleep(1)
