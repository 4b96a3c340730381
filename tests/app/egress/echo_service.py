# Answers every GET with what it received (method, path, headers) as JSON and
# appends the same to the log file named by argv[1]; prints its port first.
import http.server, json, sys
log = open(sys.argv[1], "a")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        seen = {"method": self.command, "path": self.path, "headers": dict(self.headers.items())}
        log.write(json.dumps(seen) + "\n"); log.flush()
        body = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
