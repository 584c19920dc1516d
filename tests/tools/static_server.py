#!/usr/bin/env python3
"""A tiny HTTP server for the URL-input tests: serves the files of a
directory, answers paths under /secret/ only with the right bearer token,
"/" is the file "index". /status/N answers with status N and a two-line
body, and /big404/N with status
404 and N bytes of body. With a third argument "catchall", a missing file
gets 200 and an HTML page, as from a service whose "/" handler answers
every path. Prints the port it bound to (port 0 = any) on stdout."""
import http.server
import os
import sys

ROOT, TOKEN = sys.argv[1], sys.argv[2]
CATCHALL = len(sys.argv) > 3 and sys.argv[3] == "catchall"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="text/plain; charset=utf-8"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path.startswith("/status/"):
            code = int(path[len("/status/"):])
            return self.reply(code, b"server says no\nsecond line\n")
        if path.startswith("/big404/"):
            return self.reply(404, b"not here " + b"x" * int(path[len("/big404/"):]))
        if path.startswith("/secret/"):
            if self.headers.get("Authorization") != "Bearer " + TOKEN:
                return self.reply(401, b"missing or wrong token\n")
            path = path[len("/secret"):]
        name = os.path.join(ROOT, os.path.basename(path) or "index")
        if not os.path.isfile(name):
            if CATCHALL:
                return self.reply(200, b"<html><body>welcome</body></html>\n", "text/html")
            return self.reply(404, b"404 page not found\n")
        with open(name, "rb") as f:
            self.reply(200, f.read(), "application/octet-stream")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
