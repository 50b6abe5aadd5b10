"""mgd over its ctl socket (lib/proto/mgd.proto), no namespace needed: sessions
(shared, private, exclusive; released when the connection closes), commit
check, validation errors, history, rollback, a pending commit confirmed that
survives a restart, and malformed input answered with errors, never a crash.
"""

import os
import random
import signal
import socket
import time

import pytest
from conftest import BIN

from mgd_client import CtlError, MgdClient, MgdError, pb, start_mgd
from testbed.ctl import CTL_MAX_FRAME, FRAME_REQUEST, decode_frame, encode_frame

CTL_ERR_INVALID, CTL_ERR_BUSY = 5, 7


@pytest.fixture
def mgd(tmp_path):
    assert (BIN / "mgd").exists(), f"{BIN}/mgd missing: build it first"
    root = tmp_path / "root"
    root.mkdir()
    log = tmp_path / "mgd.log"
    state = {"root": root, "log": log}
    state["proc"], state["sock"] = start_mgd(BIN, root, log)
    yield state
    p = state["proc"]
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
    text = log.read_text()
    # under ASan, a leak or error report lands in the log at exit
    assert "Sanitizer" not in text, text[-4000:]
    assert p.returncode == 0, f"mgd exited {p.returncode}\n{text[-2000:]}"


def host(c, ds=1):
    return c.show(ds=ds, path=["system", "host-name"])


def test_commit_check_history_rollback(mgd):
    with MgdClient(mgd["sock"]) as c:
        c.edit(["set system host-name r1"])
        r = c.commit(check=True)
        assert r.message == "configuration check succeeds"
        assert "r1" not in c.show(ds=1), "commit check changed running"
        c.commit(comment="one")
        c.edit(["set system host-name r2"])
        c.commit(comment="two")
        h = c.history()
        assert [e.index for e in h] == [0, 1], h
        assert h[0].comment == "two" and h[1].comment == "one" and h[0].client == "cli"
        c.rollback(1)
        assert "r1" in c.compare(), c.compare()
        c.commit()
        assert "r1" in c.show(ds=1)
        assert "r2" in c.show(ds=2, rollback=1)
        with pytest.raises(MgdError, match="no such rollback"):
            c.rollback(40)
        assert c.status().generation == 3


def test_validation_error_names_the_problem(mgd):
    with MgdClient(mgd["sock"]) as c:
        with pytest.raises(MgdError) as e:
            c.edit(["set interfaces eth0 mtu 99999999"])
        assert "mtu" in str(e.value)
        r = c.call("config.edit", pb().Edit(lines=["set system host-name ok", "frob x",
                                                    'set system host-name "unterminated']),
                   pb().EditReply)[0]
        assert r.applied == 1 and [x.line for x in r.errors] == [2, 3], r
        # a config libyang refuses as a whole: commit fails, running unchanged
        c.edit(["set interfaces reth0 redundant-ether-options redundancy-group 1"])
        r = c.commit(ok=False)
        if r.ok:
            pytest.skip("schema accepts a reth without chassis cluster")
        assert r.message == "error: commit failed" and r.errors and r.errors[0].message
        assert "reth0" not in c.show(ds=1)


def test_sessions(mgd):
    sock = mgd["sock"]
    a, b = MgdClient(sock), MgdClient(sock)
    try:
        a.open(mode=0, user="alice")
        a.edit(["set system host-name shared1"])
        # private is refused while the shared candidate has changes (Junos)
        with pytest.raises(CtlError, match="shared configuration database modified"):
            b.open(mode=1)
        a.rollback(0)
        p = b.open(mode=1)
        assert p.session > 0 and not p.modified
        b.edit(["set system host-name private1"])
        assert "private1" not in a.show(ds=0), "private edit leaked into the shared candidate"
        a.edit(["set system host-name shared2"])
        a.commit()
        # running moved on since b's copy: refused, no merge
        r = b.commit(ok=False)
        assert not r.ok and "configure private" in r.errors[0].message, r
        b.call_raw("config.close")
        # exclusive locks the others out of editing and committing
        x = MgdClient(sock)
        try:
            x.open(mode=2, user="xavier")
            with pytest.raises(CtlError, match="locked by: xavier"):
                a.edit(["set system host-name nope"])
            r = a.commit(ok=False)
            assert not r.ok and "locked" in r.errors[0].message
            with pytest.raises(CtlError, match="locked"):
                b.open(mode=2)
            x.edit(["set system host-name excl"])
            st = a.status()
            assert st.exclusive_locked and any("xavier (exclusive)" in e for e in st.editors)
        finally:
            x.close()
        # the lock goes with the connection, and its uncommitted change with it
        deadline = time.monotonic() + 5
        while a.status().exclusive_locked and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not a.status().exclusive_locked
        assert "excl" not in a.show(ds=0)
        a.edit(["set system host-name after"])
        a.commit(and_quit=True)
        assert "after" in a.show(ds=1)
        assert not any("alice" in e for e in a.status().editors)
    finally:
        a.close()
        b.close()


def test_session_ids_are_per_connection(mgd):
    with MgdClient(mgd["sock"]) as a, MgdClient(mgd["sock"]) as b:
        s = a.open().session
        with pytest.raises(CtlError, match="not open on this connection"):
            b.call("config.edit", pb().Edit(session=s, lines=["set system host-name x"]),
                   pb().EditReply)


def test_malformed_input(mgd):
    rng = random.Random(7)
    methods = ["config.open", "config.close", "config.edit", "config.load", "config.rollback",
               "config.show", "config.compare", "config.commit", "config.complete",
               "config.history", "config.status", "config.get"]
    with MgdClient(mgd["sock"], timeout=5) as c:
        for m in methods:
            for _ in range(30):
                junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
                try:
                    c.call_raw(m, junk)
                except CtlError as e:
                    assert e.code in (CTL_ERR_INVALID, CTL_ERR_BUSY, 1, 4, 6), (m, e)
        # enums out of range, absurd numbers, unknown daemon
        for m, msg in [("config.open", pb().Open(mode=9)),
                       ("config.show", pb().Show(format=7)),
                       ("config.show", pb().Show(ds=2, rollback=4000000000)),
                       ("config.compare", pb().Compare(against=0)),
                       ("config.load", pb().Load(mode=12, text="x")),
                       ("config.commit", pb().Commit(confirmed_minutes=70000)),
                       ("config.commit", pb().Commit(check=True, confirmed_minutes=5)),
                       ("config.get", pb().GetConfig(daemon="nosuch")),
                       ("config.edit", pb().Edit(path=["x"] * 600))]:
            with pytest.raises(CtlError) as e:
                c.call_raw(m, msg.SerializeToString())
            assert e.value.code == CTL_ERR_INVALID, (m, e.value)
        # a line of 5000 words
        r = c.call("config.edit", pb().Edit(lines=["set " + "a " * 5000]), pb().EditReply)[0]
        assert r.errors and r.applied == 0
        assert c.status().generation == 0
    assert mgd["proc"].poll() is None, "mgd died"


def test_chunked_load_and_large_show(mgd):
    lines = [f'set interfaces ge{i} description "port {i} {"x" * 40}"' for i in range(3000)]
    text = "\n".join(lines) + "\n"
    assert len(text) > CTL_MAX_FRAME
    with MgdClient(mgd["sock"]) as c:
        c.load(text, mode=2, chunk=20000)
        c.commit()
        shown = c.show(ds=1, fmt=1)
        assert shown.count("set interfaces ge") == 3000
        assert "ge2999" in shown
        parts = c.call_raw("config.get", pb().GetConfig(daemon="ifd").SerializeToString())
        assert len(parts) > 1, "a large config.get comes in several parts"
        js = ""
        for p in parts:
            d = pb().DaemonConfig()
            d.ParseFromString(p)
            assert d.generation == 1
            js += d.json
        assert js.count('"name": "ge') + js.count('"name":"ge') == 3000


def test_confirm_deadline_survives_restart(mgd):
    root = mgd["root"]
    with MgdClient(mgd["sock"]) as c:
        c.edit(["set system host-name before"])
        c.commit()
        c.edit(["set system host-name trial"])
        r = c.commit(confirmed=5)
        assert r.confirm_minutes == 5 and "rolled back in 5 minutes" in r.message
        assert 290 <= c.status().confirm_pending_seconds <= 300
    p = mgd["proc"]
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=5)
    # pretend the 5 minutes passed while mgd was down
    f = root / "var/lib/keel/commit-confirmed"
    assert f.exists()
    f.write_text(f"{int(time.time()) - 1} 5\n")
    mgd["proc"], mgd["sock"] = start_mgd(BIN, root, mgd["log"])
    with MgdClient(mgd["sock"]) as c:
        deadline = time.monotonic() + 5
        while "before" not in c.show(ds=1) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "before" in c.show(ds=1), c.show(ds=1)
        h = c.history()
        assert h[0].client == "confirmed-rollback", h[0]
        assert c.status().confirm_pending_seconds == 0
    assert not f.exists()


def test_confirmed_then_confirm(mgd):
    with MgdClient(mgd["sock"]) as c:
        c.edit(["set system host-name a"])
        c.commit(confirmed=2)
        assert c.status().confirm_pending_seconds > 0
        c.commit(check=True)  # confirms, as in Junos
        assert c.status().confirm_pending_seconds == 0
        assert not (mgd["root"] / "var/lib/keel/commit-confirmed").exists()


def test_first_commit_confirmed_rolls_back_to_empty(mgd):
    root = mgd["root"]
    with MgdClient(mgd["sock"]) as c:
        c.edit(["set system host-name first"])
        c.commit(confirmed=1)
    mgd["proc"].send_signal(signal.SIGTERM)
    mgd["proc"].wait(timeout=10)
    (root / "var/lib/keel/commit-confirmed").write_text(f"{int(time.time())} 1\n")
    mgd["proc"], mgd["sock"] = start_mgd(BIN, root, mgd["log"])
    with MgdClient(mgd["sock"]) as c:
        deadline = time.monotonic() + 5
        while "first" in c.show(ds=1) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert c.show(ds=1).strip() == "", c.show(ds=1)
        assert c.history()[0].client == "confirmed-rollback"
