#!/usr/bin/env python3
"""A small upstream for the error-masking test: answers that leak (a Python traceback, a MySQL
error, a chunked Java stack, a close-delimited PHP error, a long one; and the same compressed with
gzip, deflate and brotli, as compression middleware sends them) and ordinary ones.
Usage: leaky_upstream.py PORT. Loopback only. Brotli comes from the `brotli` command (Debian's
brotli package), so any python3 will do."""
import random
import subprocess
import sys
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PY_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/srv/api/app.py", line 41, in order\n'
    "    row = db.execute(\"SELECT * FROM orders WHERE id = '\" + oid + \"'\").fetchone()\n"
    "sqlite3.OperationalError: unrecognized token: \"'1''\"\n")
MYSQL = ("<html><body><h1>Database error</h1><p>You have an error in your SQL syntax; check the "
         "manual that corresponds to your MySQL server version for the right syntax to use near "
         "''1''' at line 1</p></body></html>")
JAVA_CHUNKS = [
    "Exception in thread \"http-nio-8080-exec-3\" java.lang.NullPointerException: order\n",
    "\tat com.shop.OrderService.find(OrderService.java:42)\n\tat org.apache.catalina.core.",
    "ApplicationFilterChain.internalDoFilter(ApplicationFilterChain.java:189)\n",
]
PHP = ("<br />\n<b>Fatal error</b>:  Uncaught PDOException: SQLSTATE[42000]: Syntax error or "
       "access violation: 1064 in /var/www/html/item.php:14\nStack trace:\n#0 "
       "/var/www/html/item.php(14): PDO->query('SELECT * FROM i...')\n#1 {main}\n  thrown in "
       "<b>/var/www/html/item.php</b> on line <b>14</b><br />\n")
FILLER = ("The service is being upgraded. Please try again in a few minutes. " * 4 + "\n")
# Letters that compress to ~60 % only: gzip of PY_TRACE + NOISE is longer than the 64 KiB the
# gateway holds, so it decides on a cut stream.
_rng = random.Random(11)
NOISE = "".join(_rng.choice("abcdefghijklmnopqrstuvwxyz \n") for _ in range(300000))


def gzip(data):
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def deflate(data):  # zlib-wrapped, as RFC 9110 defines "deflate"
    return zlib.compress(data)


def brotli(data):
    return subprocess.run(["brotli", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def plain(self, status, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def coded(self, status, data, coding, ctype="text/plain", chunked=False):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", coding)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(data), 7):  # small chunks, flushed one by one
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data[i:i + 7]), data[i:i + 7]))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def do_GET(self):
        p = self.path
        if p == "/api/py-gzip":
            self.coded(500, gzip(PY_TRACE.encode()), "gzip")
        elif p == "/api/mysql-deflate":
            self.coded(502, deflate(MYSQL.encode()), "deflate", "text/html")
        elif p == "/api/java-br-chunked":
            self.coded(500, brotli("".join(JAVA_CHUNKS).encode()), "br", chunked=True)
        elif p == "/api/php-gzip-br":  # gzip applied first, then br
            self.coded(500, brotli(gzip(PHP.encode())), "gzip, br", "text/html")
        elif p == "/api/long-leak-gzip":
            self.coded(500, gzip((PY_TRACE + NOISE).encode()), "gzip")
        elif p == "/api/busy-gzip":
            self.coded(503, gzip(b'{"error":"busy"}'), "gzip", "application/json")
        elif p == "/api/py-zstd":  # a coding the gateway does not read (the bytes are plain)
            self.coded(500, PY_TRACE.encode(), "zstd")
        elif p == "/api/py":
            self.plain(500, PY_TRACE)
        elif p == "/api/mysql":
            self.plain(502, MYSQL, "text/html")
        elif p == "/api/java":
            self.send_response(500)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for c in JAVA_CHUNKS:
                data = c.encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        elif p == "/api/php-close":
            self.send_response(500)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(PHP.encode())
            self.close_connection = True
        elif p == "/api/busy":
            self.plain(503, '{"error":"busy"}', "application/json")
        elif p == "/api/ok-sql":
            self.plain(200, "Article: why 'You have an error in your SQL syntax' happens, and "
                       "what a Traceback (most recent call last): tells you.\n")
        elif p == "/api/long-ordinary":
            self.plain(500, FILLER * 1000)  # ~260 KiB, no leak: streamed on unchanged
        elif p == "/api/long-leak":
            self.plain(500, PY_TRACE + FILLER * 1000)
        else:
            self.plain(404, "not found")


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
