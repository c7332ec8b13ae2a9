#!/usr/bin/env python3
"""Writes the seed corpus of static_archive_fuzz: small .tar.gz / .tar files, good and bad."""
import io, os, tarfile

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def add_file(t, name, data=b"x", mode=0o644):
    info = tarfile.TarInfo(name); info.size = len(data); info.mode = mode
    t.addfile(info, io.BytesIO(data))

def add(t, name, kind, target=""):
    info = tarfile.TarInfo(name); info.type = kind; info.linkname = target; t.addfile(info)

def write(name, build, mode="w:gz"):
    with tarfile.open(os.path.join(HERE, name), mode, format=tarfile.PAX_FORMAT) as t:
        build(t)

def good(t):
    add(t, "assets", tarfile.DIRTYPE)
    add_file(t, "index.html", b"<h1>ok</h1>")
    add_file(t, "assets/app.js", b"console.log(1)", 0o755)
    add(t, "latest.js", tarfile.SYMTYPE, "assets/app.js")
    add(t, "assets/home.html", tarfile.SYMTYPE, "../index.html")
    add(t, "copy.html", tarfile.LNKTYPE, "index.html")

os.makedirs(HERE, exist_ok=True)
write("good.tar.gz", good)
write("good.tar", good, "w")
write("dotdot.tar.gz", lambda t: add_file(t, "a/../../x"))
write("absolute.tar.gz", lambda t: add_file(t, "/tmp/x"))
write("symlink_escape.tar.gz", lambda t: add(t, "evil", tarfile.SYMTYPE, "../../etc/passwd"))
write("hardlink_escape.tar.gz", lambda t: add(t, "h", tarfile.LNKTYPE, "../outside"))
write("through_link.tar.gz", lambda t: (add(t, "d", tarfile.SYMTYPE, "."), add_file(t, "d/x")))
write("fifo.tar.gz", lambda t: add(t, "p", tarfile.FIFOTYPE))
