#!/usr/bin/env python3
"""sqlmap against a deliberately injectable app, directly and through shipgate's managed CRS.

  sqlmap_test.py SHIPGATE_BIN SOURCE_DIR

1. Directly against injectable_app.py: sqlmap must find the injection in GET /api/listings?id=1
   ("Parameter: id (GET)" and "is vulnerable"/"appears to be injectable").
2. Through shipgate (waf.managed_rules.crs: paranoia_level 1, action block): the same run, then
   with the tamper sets space2comment,between,randomcase / charencode /
   space2randomblank,equaltolike. sqlmap must find nothing, while the first request of each run
   reached the app and was answered 200 (read from the app's request log): the WAF is not simply
   blocking everything.

sqlmap options, the same on both sides: --batch --flush-session, own --output-dir in a temp dir,
a browser's User-Agent (--user-agent; sqlmap's default UA is blocked by the CRS's scanner rule
913100, which would make the gateway runs trivial), --technique=BEU (boolean, error, UNION: the
techniques that need no time delays, so a run stays under a minute; time-based blind would only
make the runs longer, not change the verdict), --dbms=SQLite (the app's database, fair to both
sides: it only narrows the payloads to those that could work), --level 1 --risk 1 (the defaults),
-p id (the one parameter under test). A missing sqlmap FAILS the test (exit 1).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36")
TAMPERS = ["space2comment,between,randomcase", "charencode", "space2randomblank,equaltolike"]
FAILS = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, what, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit("FAIL: %s exited early (status %s)" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("FAIL: %s did not listen on %d" % (what, port))


def read_log(path):
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def sqlmap(url, outdir, tamper=None):
    cmd = ["sqlmap", "-u", url, "--batch", "--flush-session", "--output-dir", outdir,
           "--user-agent", UA, "--technique=BEU", "--dbms=SQLite", "--level", "1", "--risk", "1",
           "-p", "id", "--disable-coloring", "--timeout", "10", "--retries", "0"]
    if tamper:
        cmd += ["--tamper", tamper]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=240)
    return r.stdout


def found(out):
    return bool(re.search(r"Parameter: id \(GET\)", out)) and bool(
        re.search(r"is vulnerable|appears to be .*injectable|sqlmap identified the following", out))


def not_injectable(out):
    return bool(re.search(r"all tested parameters do not appear to be injectable|"
                          r"does not seem to be injectable", out))


def run_case(name, base_url, applog, outroot, gw_log=None, tamper=None, expect_found=False):
    before = len(read_log(applog))
    out = sqlmap(base_url + "/api/listings?id=1", os.path.join(outroot, name), tamper)
    lines = read_log(applog)[before:]
    app_200 = sum(1 for l in lines if l.endswith(" 200"))
    gw = gw_summary(gw_log, base_url) if gw_log else None
    first_ok = bool(lines) and lines[0].startswith("GET /api/listings?id=1 ") and lines[0].endswith(" 200")
    sent = gw[0] if gw else len(lines)
    blocked = gw[1] if gw else 0
    res = "found" if found(out) else ("not-injectable" if not_injectable(out) else "nothing-found")
    print("%-40s requests=%d answered_403=%d reached_app=%d app_200=%d first_request_200=%s result=%s"
          % (name, sent, blocked, len(lines), app_200, first_ok, res), flush=True)
    ok = True
    if expect_found and not found(out):
        ok = False
    if not expect_found:
        if found(out):
            ok = False
        if not first_ok:
            ok = False
            print("  first request of the run did not reach the app with 200: %r" % lines[:1])
    if not ok:
        FAILS.append(name)
        print("  ---- sqlmap output (tail) ----")
        print("\n".join("  " + l for l in out.splitlines()[-40:]))
    return res


GW_OFFSET = {"n": 0}


def gw_summary(path, marker_url=None):
    """(requests, answered 403) of the gateway's access log since the last call. The access log is
    written asynchronously: with marker_url, a marker request is sent and the log read once it
    shows the marker (which is then not counted)."""
    marker = None
    if marker_url:
        marker = "/sqlmap-test-marker-%d" % time.time_ns()
        try:
            urllib.request.urlopen(marker_url + marker, timeout=5).read()
        except Exception:
            pass
        end = time.time() + 10
        while time.time() < end:
            try:
                with open(path) as f:
                    if marker in f.read():
                        break
            except OSError:
                pass
            time.sleep(0.1)
    try:
        with open(path) as f:
            data = f.read().splitlines()
    except OSError:
        return (0, 0)
    new = data[GW_OFFSET["n"]:]
    GW_OFFSET["n"] = len(data)
    if marker:
        new = [l for l in new if marker not in l]
    # JSON access log lines carry "status":403; text lines " 403 ".
    n403 = sum(1 for l in new if re.search(r'"status":\s*403\b|\s403\s', l))
    return (len(new), n403)


def main():
    shipgate, src = sys.argv[1], sys.argv[2]
    if not shutil.which("sqlmap"):
        print("FAIL: sqlmap not found (apt-get install sqlmap)")
        return 1
    tmp = tempfile.mkdtemp(prefix="sqlmap_test.")
    procs = []
    try:
        app_port = free_port()
        applog = os.path.join(tmp, "app.log")
        open(applog, "w").close()
        app = subprocess.Popen([sys.executable, os.path.join(src, "tests/integration/managed/injectable_app.py"),
                                str(app_port), applog], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
        procs.append(app)
        wait_port(app_port, app, "injectable app")

        gw_port = free_port()
        gw_log = os.path.join(tmp, "access.log")
        cfg = os.path.join(tmp, "shipgate.yaml")
        with open(cfg, "w") as f:
            f.write("""server:
  workers: 1
  allow_root: true
  log:
    access_log: true
    access_log_path: %s
    level: error
listeners:
  - name: http
    address: "127.0.0.1:%d"
sites:
  - name: s
    app: a
apps:
  a:
    slots:
      blue:
        - {address: "127.0.0.1:%d"}
waf:
  managed_rules:
    crs:
      paranoia_level: 1
      inbound_threshold: 5
      action: block
""" % (gw_log, gw_port, app_port))
        gw_out = open(os.path.join(tmp, "shipgate.out"), "w")
        gw = subprocess.Popen([shipgate, "serve", "--config", cfg], stdout=gw_out, stderr=subprocess.STDOUT,
                              start_new_session=True)
        procs.append(gw)
        wait_port(gw_port, gw, "shipgate")

        direct = "http://127.0.0.1:%d" % app_port
        via = "http://127.0.0.1:%d" % gw_port
        run_case("direct", direct, applog, tmp, expect_found=True)
        gw_summary(gw_log, via)
        run_case("gateway", via, applog, tmp, gw_log=gw_log)
        for t in TAMPERS:
            run_case("gateway tamper=" + t, via, applog, tmp, gw_log=gw_log, tamper=t)
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(10)
            except Exception:
                pass
        if not FAILS:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept %s for inspection" % tmp)
    if FAILS:
        print("FAIL: " + ", ".join(FAILS))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
