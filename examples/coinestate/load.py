#!/usr/bin/env python3
"""load.py: a steady stream of browser-like requests through the gateway that logs every answer.

Each client is a thread with one keep-alive connection from its own loopback source address
(127.0.0.2, 127.0.0.3, ...), so the seed's per-client rate limit (100 /api/ requests a minute)
sees N clients and not one; it sends the headers a browser sends, so the seed's bot rule lets it
through. Every answer becomes one line of --out:

    START_MS END_MS STATUS VERSION CLIENT

(wall-clock milliseconds since the epoch; STATUS 0 = no answer: connection refused, reset or timed
out; VERSION is the X-App-Version header, "-" when absent). It runs until SIGTERM / SIGINT or
--duration, then exits 0.

    load.py --port 8080 --clients 6 --rate 2 --out answers.txt
"""
import argparse
import http.client
import signal
import sys
import threading
import time

BROWSER_HEADERS = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0.0.0 Safari/537.36",
    "Accept": "application/json",
    "Accept-Language": "en-US,en;q=0.9",
    "Accept-Encoding": "gzip, deflate, br",
}

stop = threading.Event()
out_lock = threading.Lock()


def now_ms():
    return time.time() * 1000.0


def client(index, args, out):
    source = None
    if not args.one_source:
        source = ("127.0.%d.%d" % ((index + 2) // 256, (index + 2) % 256), 0)
    interval = 1.0 / args.rate
    conn = None
    next_at = time.monotonic() + interval * index / max(1, args.clients)  # spread the clients
    while not stop.is_set():
        delay = next_at - time.monotonic()
        if delay > 0 and stop.wait(delay):
            break
        next_at = max(next_at + interval, time.monotonic() - interval)
        start = now_ms()
        status, version = 0, "-"
        try:
            if conn is None:
                conn = http.client.HTTPConnection(args.host, args.port, timeout=args.timeout,
                                                  source_address=source)
            conn.request("GET", args.path, headers=BROWSER_HEADERS)
            resp = conn.getresponse()
            resp.read()
            status = resp.status
            version = resp.getheader("X-App-Version") or "-"
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
        end = now_ms()
        with out_lock:
            out.write("%.1f %.1f %d %s %d\n" % (start, end, status, version, index))
            out.flush()
    if conn is not None:
        conn.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--path", default="/api/properties")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--rate", type=float, default=2.0, help="requests a second per client")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    p.add_argument("--duration", type=float, default=0.0, help="seconds; 0 = until SIGTERM")
    p.add_argument("--one-source", action="store_true", help="every client from 127.0.0.1")
    p.add_argument("--out", required=True, help="file the answers are appended to")
    args = p.parse_args()
    if args.clients < 1 or args.clients > 250 or args.rate <= 0:
        p.error("--clients must be 1..250 and --rate above 0")
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with open(args.out, "a", buffering=1) as out:
        threads = [threading.Thread(target=client, args=(i, args, out), daemon=True)
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + args.duration if args.duration > 0 else None
        while not stop.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                stop.set()
                break
            stop.wait(0.2)
        for t in threads:
            t.join(args.timeout + 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
