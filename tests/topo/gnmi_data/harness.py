"""Shared by the gNMI topology tests: collector stubs, a collector subprocess, certificates."""

import json
import os
import subprocess

import pytest
from conftest import REPO, sh

DATA = REPO / "tests" / "topo" / "gnmi_data"
COLLECTOR = DATA / "collector.py"


def stubs(tmp):
    """Python stubs from keel's own gnmi.proto (and sensor.proto for bus publishers)."""
    for tool in ("protoc", "/usr/bin/grpc_python_plugin"):
        if sh(["which", tool], check=False).returncode:
            pytest.fail(f"{tool} missing: make deps installs protobuf-compiler-grpc")
    tmp.mkdir(parents=True, exist_ok=True)
    sh(["protoc", f"-I{REPO / 'lib' / 'proto'}", f"--python_out={tmp}", f"--grpc_out={tmp}",
        "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin",
        str(REPO / "lib/proto/gnmi.proto")])
    sh(["protoc", f"-I{REPO / 'lib' / 'proto'}", f"--python_out={tmp}",
        str(REPO / "lib/proto/sensor.proto")])
    return tmp


class Collector:
    """collector.py in namespace `ns` against `target`; its JSON lines, read as they come."""

    def __init__(self, ns, stub_dir, target, args, out):
        self.out = out
        self.f = open(out, "w")
        env = dict(os.environ, GNMI_STUBS=str(stub_dir))
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "/usr/bin/python3", str(COLLECTOR), "--target", target,
             *[str(a) for a in args]], stdout=self.f, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env)

    def lines(self):
        out = []
        for ln in self.out.read_text().splitlines():
            try:
                out.append(json.loads(ln))
            except ValueError:
                pass
        return out

    def updates(self):
        return [m for m in self.lines() if "updates" in m]

    def status(self):
        for m in self.lines():
            if "status" in m:
                return m
        return None

    def wait(self, timeout=20):
        try:
            self.proc.wait(timeout=timeout)
        finally:
            self.stop()
        return self.lines()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.f.closed:
            self.f.close()


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.crt", cwd=d)


def make_cert(d, name, ca, cn, san=None):
    """A certificate for cn signed by ca (files NAME.key, NAME.crt in d)."""
    ext = d / f"{name}.ext"
    ext.write_text(f"subjectAltName={san}\n" if san else "basicConstraints=CA:FALSE\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout",
            f"{name}.key", "-out", f"{name}.csr", cwd=d)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-days", "2", "-extfile", ext.name, "-out", f"{name}.crt", cwd=d)
