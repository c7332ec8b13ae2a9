#!/usr/bin/env python3
"""Memory under slow readers: RSS of the shipgate binary (from /proc/PID/status) idle, with N
clients that request a proxied answer and never read it, and 10 s / 30 s / 60 s after they close,
for several rounds. Upstream: this script (asyncio, answers GET /big with SIZE bytes). Every
process it starts it stops.

  bench/slow_readers.py [--clients 2000] [--size 262144] [--rounds 3] [--binary build/shipgate]
  extra environment for the gateway: --env MALLOC_ARENA_MAX=2 --env LD_PRELOAD=...
Prints the idle RSS, then per round the RSS with the clients connected (the highest of 30
samples over 6 s) and at 1, 10, 30 and 60 s after they closed.
"""
import argparse, asyncio, os, socket, subprocess, sys, tempfile, threading, time

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1

def upstream_thread(port, size, ready):
    body = b"x" * size
    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                b = body if head.startswith(b"GET /big ") else b"ok"
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(b) + b)
                await writer.drain()
        except Exception:
            pass
        finally:
            writer.close()
    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
        ready.set()
        async with server:
            await server.serve_forever()
    asyncio.run(main())

def get(port, path):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        d = s.recv(65536)
        if not d: break
        data += d
    s.close()
    return data

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--size", type=int, default=256 * 1024)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--binary", default=os.path.join(os.path.dirname(__file__), "..", "build", "shipgate"))
    ap.add_argument("--limits", default="")
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--no-big-warmup", action="store_true",
                    help="warm up with small answers only (a binary that stalls on big ones)")
    a = ap.parse_args()
    up_port, http = free_port(), free_port()
    ready = threading.Event()
    threading.Thread(target=upstream_thread, args=(up_port, a.size, ready), daemon=True).start()
    ready.wait()
    d = tempfile.mkdtemp(prefix="sg-slowread-")
    cfg = os.path.join(d, "shipgate.yaml")
    with open(cfg, "w") as f:
        f.write(f"server: {{workers: {a.workers}, allow_root: true, limits: {{{a.limits}}}}}\n"
                f"listeners: [{{name: http, address: \"127.0.0.1:{http}\"}}]\n"
                "sites: [{name: api, hosts: [app.test], app: api}]\n"
                f"apps: {{api: {{slots: {{blue: [{{address: \"127.0.0.1:{up_port}\"}}]}}}}}}\n")
    env = dict(os.environ)
    for e in a.env:
        k, v = e.split("=", 1); env[k] = v
    gw = subprocess.Popen([a.binary, "serve", "--config", cfg], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", http)).close(); break
            except OSError:
                time.sleep(0.1)
        for _ in range(20):
            assert get(http, "/small").startswith(b"HTTP/1.1 200")
            if not a.no_big_warmup:
                assert len(get(http, "/big")) > a.size
        time.sleep(1)
        idle = rss_kib(gw.pid)
        print(f"idle RSS {idle} KiB", flush=True)
        for r in range(1, a.rounds + 1):
            socks = []
            for _ in range(a.clients):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.connect(("127.0.0.1", http))
                s.sendall(b"GET /big HTTP/1.1\r\nHost: app.test\r\n\r\n")
                socks.append(s)
            peak = 0
            for _ in range(30):  # 6 s: the answers back up into the gateway
                time.sleep(0.2); peak = max(peak, rss_kib(gw.pid))
            for s in socks: s.close()
            t0 = time.time(); marks = {}
            for mark in (1, 10, 30, 60):
                while time.time() - t0 < mark: time.sleep(0.1)
                marks[mark] = rss_kib(gw.pid)
            print(f"round {r}: {a.clients} non-reading clients: RSS {peak} KiB "
                  f"({(peak - idle) / a.clients:.1f} KiB per client); after close: "
                  + ", ".join(f"{m} s {v} KiB" for m, v in marks.items()), flush=True)
    finally:
        gw.terminate()
        try: gw.wait(10)
        except subprocess.TimeoutExpired: gw.kill()

if __name__ == "__main__":
    main()
