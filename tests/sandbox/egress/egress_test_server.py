#!/usr/bin/env python3
"""A small HTTP(S) server for the egress gate's tests and benchmark, on 127.0.0.1.

Usage: egress_test_server.py [--cert CERT --key KEY] [--log FILE]
Binds a free port and prints "PORT <n>" on stdout once it listens. With --log,
every request is appended to FILE as one JSON line {method, path, headers}, so a
test can see what the server received without the client seeing it.
  /echo...            200, JSON {method, path, headers: [[name, value]...], body}
  /quiet...           200, "quiet <method> <path>" (nothing of the headers)
  /redirect?to=U&code=C   C (default 302) with Location: U
  /big?n=N            N bytes of "x" (Content-Length set), written in 1 MiB pieces
  /gzip?n=N           N bytes of "x", gzip-encoded
  /slow?ms=M          waits M ms, then 200 "slow"
  /headers?n=N        200 with N bytes of response headers
"""

import argparse
import gzip
import http.server
import json
import socketserver
import ssl
import sys
import time
import urllib.parse

CHUNK = b"x" * (1024 * 1024)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.server.log_file:
            with open(self.server.log_file, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "headers": [[k, v] for k, v in self.headers.items()]}) + "\n")
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path.startswith("/redirect"):
            code = int(q.get("code", ["302"])[0])
            self._send(code, b"moved", [("Location", q["to"][0])])
        elif url.path == "/big":
            n = int(q["n"][0])
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            while n > 0:
                piece = CHUNK if n >= len(CHUNK) else CHUNK[:n]
                self.wfile.write(piece)
                n -= len(piece)
        elif url.path.startswith("/quiet"):
            self._send(200, ("quiet %s %s\n" % (self.command, self.path)).encode(),
                       [("Content-Type", "text/plain")])
        elif url.path == "/gzip":
            data = gzip.compress(b"x" * int(q["n"][0]))
            self._send(200, data, [("Content-Encoding", "gzip")])
        elif url.path == "/slow":
            time.sleep(int(q.get("ms", ["20000"])[0]) / 1000.0)
            self._send(200, b"slow")
        elif url.path == "/headers":
            n = int(q["n"][0])
            self._send(200, b"ok", [("X-Filler", "y" * n)])
        else:
            out = {
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body": body.decode("latin-1"),
            }
            self._send(200, json.dumps(out).encode(), [("Content-Type", "application/json")])

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients the tests cut off on purpose (cancel, bounds, refused TLS).
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, BrokenPipeError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--log")
    args = ap.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    server.log_file = args.log
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
