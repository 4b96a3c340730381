#!/usr/bin/env python3
"""A small Streamable HTTP MCP server on 127.0.0.1: every request is answered as an
event stream (a progress notification, then the response), sessions are kept by
Mcp-Session-Id, and the tool "expire" forgets the session so the next request
gets 404. It prints "port N" on stdout once it listens, and on stderr what the
client sent in the headers that matter (the protocol version, DELETE).
"""

import http.server
import json
import sys
import time
import uuid

sessions = set()


def log(text):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", ctype="application/json", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_DELETE(self):
        sid = self.headers.get("Mcp-Session-Id")
        log("DELETE %s" % sid)
        sessions.discard(sid)
        self.reply(200)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        msg = json.loads(body)
        method = msg.get("method")
        accept = self.headers.get("Accept", "")
        if "text/event-stream" not in accept or "application/json" not in accept:
            return self.reply(406, b'{"error":{"message":"Accept must list both types"}}')
        if method == "initialize":
            sid = str(uuid.uuid4())
            sessions.add(sid)
            result = {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                      "serverInfo": {"name": "fake-http", "version": "1.0"}}
            return self.reply(200, json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": result}).encode(),
                              headers={"Mcp-Session-Id": sid})
        sid = self.headers.get("Mcp-Session-Id")
        if sid not in sessions:
            return self.reply(404, b'{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"}}')
        if method == "notifications/hold":
            time.sleep(30)  # a server that holds a notification's POST open
        if method == "notifications/initialized":
            time.sleep(0.3)  # slow, so a client that does not wait for it sends its next request first
        log("%s version %s" % (method, self.headers.get("MCP-Protocol-Version")))
        if "id" not in msg:
            return self.reply(202)
        if method == "tools/list":
            result = {"tools": [{"name": "hello", "inputSchema": {"type": "object"}},
                                {"name": "expire", "inputSchema": {"type": "object"}}]}
        elif method == "tools/call" and msg["params"]["name"] == "expire":
            sessions.discard(sid)
            result = {"content": [{"type": "text", "text": "session forgotten"}]}
        elif method == "tools/call":
            result = {"content": [{"type": "text", "text": "hello over SSE"}]}
        elif method == "ping":
            result = {}
        else:
            return self.reply(200, json.dumps({"jsonrpc": "2.0", "id": msg["id"],
                                               "error": {"code": -32601, "message": "Method not found"}}).encode())
        token = (msg.get("params") or {}).get("_meta", {}).get("progressToken")
        events = b": keep-alive\n\nid: 1\ndata:\n\n"  # a comment, then a priming event without data
        if token is not None:
            note = {"jsonrpc": "2.0", "method": "notifications/progress",
                    "params": {"progressToken": token, "progress": 1, "total": 1}}
            events += b"event: message\ndata: " + json.dumps(note).encode() + b"\n\n"
        events += b"event: message\nid: 2\ndata: " + json.dumps({"jsonrpc": "2.0", "id": msg["id"],
                                                                 "result": result}).encode() + b"\n\n"
        self.reply(200, events, ctype="text/event-stream")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("port %d" % server.server_address[1], flush=True)
server.serve_forever()
