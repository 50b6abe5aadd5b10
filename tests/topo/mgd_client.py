"""A small client for mgd's ctl socket (lib/proto/mgd.proto), for tests and benchmarks.

mgd's messages are compiled at run time with `protoc --python_out` into a
temporary directory (Debian's protobuf-compiler + python3-protobuf), so the
Python side always matches the .proto in the tree. One connection per
MgdClient: configuration sessions belong to the connection (mgd.proto).

    with MgdClient(sock_path) as c:
        c.edit(["set system host-name r1"])
        c.commit(comment="x")            -> CommitReply (raises MgdError unless ok)
        c.show(ds=RUNNING)               -> text
"""

import importlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "init"))

from testbed.ctl import (  # noqa: E402
    CTL_MAX_FRAME,
    FRAME_END,
    FRAME_ERROR,
    FRAME_EVENT,
    FRAME_REPLY,
    FRAME_REQUEST,
    CtlError,
    decode_frame,
    encode_frame,
)

_pb = None


def pb():
    """The generated mgd_pb2 module (compiled once per process)."""
    global _pb
    if _pb is None:
        out = tempfile.mkdtemp(prefix="keel-mgd-pb-")
        subprocess.run(["protoc", f"-I{REPO}/lib/proto", f"--python_out={out}",
                        str(REPO / "lib/proto/mgd.proto")], check=True)
        sys.path.insert(0, out)
        _pb = importlib.import_module("mgd_pb2")
    return _pb


class MgdError(Exception):
    pass


class MgdClient:
    def __init__(self, sock_path, timeout=10.0):
        self.path = str(sock_path)
        self.timeout = timeout
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(timeout)
        self.s.connect(self.path)
        self.fid = 0

    def close(self):
        self.s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call_raw(self, method, payload=b""):
        """Returns the REPLY payloads; raises CtlError on ERROR."""
        self.fid += 1
        fid = self.fid
        self.s.send(encode_frame(fid, FRAME_REQUEST, method, payload))
        parts = []
        deadline = time.monotonic() + self.timeout
        while True:
            self.s.settimeout(max(0.01, deadline - time.monotonic()))
            buf = self.s.recv(CTL_MAX_FRAME + 1)
            if not buf:
                raise ConnectionError(f"{self.path}: closed during {method}")
            f = decode_frame(buf)
            if f["kind"] == FRAME_EVENT or f["id"] != fid:
                continue
            if f["kind"] == FRAME_REPLY:
                parts.append(f["payload"])
            elif f["kind"] == FRAME_END:
                return parts
            elif f["kind"] == FRAME_ERROR:
                raise CtlError(f["code"], f["error"])

    def call(self, method, msg, reply_type):
        parts = self.call_raw(method, msg.SerializeToString() if msg is not None else b"")
        out = []
        for p in parts:
            r = reply_type()
            r.ParseFromString(p)
            out.append(r)
        return out

    # ---- the methods
    def open(self, mode=0, user=""):
        return self.call("config.open", pb().Open(mode=mode, user=user), pb().OpenReply)[0]

    def edit(self, lines, path=()):
        r = self.call("config.edit", pb().Edit(lines=list(lines), path=list(path)),
                      pb().EditReply)[0]
        if r.errors:
            raise MgdError("; ".join(f"line {e.line}: {e.message}" for e in r.errors))
        return r

    def load(self, text, mode=0, chunk=60000):
        m = pb()
        r = None
        for i in range(0, max(len(text), 1), chunk):
            piece = text[i:i + chunk]
            more = i + chunk < len(text)
            r = self.call("config.load", m.Load(mode=mode, text=piece, more=more),
                          m.EditReply)[0]
        if r.errors:
            raise MgdError("; ".join(f"line {e.line}: {e.message}" for e in r.errors))
        return r

    def commit(self, check=False, confirmed=0, comment="", and_quit=False, ok=True):
        r = self.call("config.commit",
                      pb().Commit(check=check, confirmed_minutes=confirmed, comment=comment,
                                  and_quit=and_quit), pb().CommitReply)[0]
        if ok and not r.ok:
            raise MgdError(f"{r.message}: " + "; ".join(e.message for e in r.errors))
        return r

    def rollback(self, n):
        r = self.call("config.rollback", pb().Rollback(number=n), pb().EditReply)[0]
        if r.errors:
            raise MgdError(r.errors[0].message)
        return r

    def show(self, ds=0, fmt=0, path=(), rollback=0):
        parts = self.call("config.show", pb().Show(ds=ds, format=fmt, path=list(path),
                                                   rollback=rollback), pb().Text)
        return "".join(p.text for p in parts)

    def compare(self, against=1, rollback=0):
        parts = self.call("config.compare", pb().Compare(against=against, rollback=rollback),
                          pb().Text)
        return "".join(p.text for p in parts)

    def history(self):
        return self.call("config.history", None, pb().CommitInfo)

    def status(self):
        return self.call("config.status", None, pb().Status)[0]


def wait_socket(path, timeout=10.0, proc=None):
    """Waits until something accepts connections on path."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"mgd exited with {proc.returncode} before listening")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
                s.connect(str(path))
                return
        except OSError as e:
            last = e
            time.sleep(0.01)
    raise TimeoutError(f"{path}: nobody listening after {timeout}s ({last})")


def start_mgd(bin_dir, root, log=None, extra_env=None):
    """Starts mgd in the foreground under KEEL_ROOT=root; returns (Popen, socket path)."""
    env = dict(os.environ, KEEL_ROOT=str(root), KEEL_YANG_DIR=str(REPO / "yang"))
    env.update(extra_env or {})
    out = open(log, "ab") if log else subprocess.DEVNULL
    p = subprocess.Popen([str(Path(bin_dir) / "mgd"), "-f"], env=env, stdout=out,
                         stderr=subprocess.STDOUT)
    if log:
        out.close()
    sock = Path(root) / "run/keel/mgd.ctl"
    wait_socket(sock, proc=p)
    return p, sock
