#!/usr/bin/env python3
"""A deliberately injectable HTTP app for the sqlmap proof (tests/integration/managed/sqlmap_test.py).

DO NOT DEPLOY: it builds SQL by string concatenation on purpose.

  injectable_app.py PORT LOGFILE

GET  /                    -> 200 text/html, a small page
GET  /api/listings?id=N   -> 200 JSON rows of "SELECT ... WHERE id=" + id (unquoted, integer context)
POST /api/search (form)   -> 200 JSON rows of "... WHERE city='" + city + "'" (quoted, string context)
A SQL error answers 500 with the sqlite3 error text, as a careless app does.
Each request is appended to LOGFILE as "METHOD PATH STATUS" (one line, flushed), so the test can
count what reached the app. Loopback only. Python stdlib only.
"""
import json
import sqlite3
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DB = sqlite3.connect(":memory:", check_same_thread=False)
DB.executescript(
    """
    CREATE TABLE listings (id INTEGER PRIMARY KEY, title TEXT, city TEXT, price INTEGER);
    INSERT INTO listings VALUES (1, 'Sunny flat', 'Lisbon', 250000);
    INSERT INTO listings VALUES (2, 'Old mill', 'Porto', 410000);
    INSERT INTO listings VALUES (3, 'Loft', 'Lisbon', 330000);
    CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, password TEXT);
    INSERT INTO users VALUES (1, 'admin', 'hunter2');
    """
)
LOG = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet stderr
        pass

    def _answer(self, status, body, ctype="application/json"):
        data = body.encode("utf-8", "replace")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        LOG.write("%s %s %d\n" % (self.command, self.path, status))
        LOG.flush()

    def _query(self, sql):
        try:
            rows = DB.execute(sql).fetchall()
        except Exception as e:  # the careless part: the error text goes to the client
            self._answer(500, "SQL error: %s in query: %s" % (e, sql), "text/plain")
            return
        self._answer(200, json.dumps([list(r) for r in rows]))

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/api/listings":
            q = urllib.parse.parse_qs(u.query)
            ident = q.get("id", ["1"])[0]
            self._query("SELECT id, title, city, price FROM listings WHERE id=" + ident)
        elif u.path == "/":
            self._answer(200, "<html><body><h1>Listings</h1></body></html>", "text/html")
        else:
            self._answer(404, "not found", "text/plain")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/api/search":
            city = urllib.parse.parse_qs(body).get("city", [""])[0]
            self._query("SELECT id, title, city, price FROM listings WHERE city='" + city + "'")
        else:
            self._answer(404, "not found", "text/plain")


def main():
    global LOG
    port, logfile = int(sys.argv[1]), sys.argv[2]
    LOG = open(logfile, "a")
    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("listening on 127.0.0.1:%d" % port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
