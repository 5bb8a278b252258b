# SPDX-License-Identifier: MIT
# `socialgate backup` and `restore`: a backup taken while a server goes on
# creating providers is one snapshot (every row acknowledged before it
# began, then a prefix of the later ones, nothing partial); restored into a
# new database and served with the same key file, every GET answers as the
# original did. A served database is never restored over.

import sqlite3
import threading

from conftest import PUBLIC_URL, REALM, EngageGate, init_with
from test_copy import answers, fill
from test_providers import oauth2_body


class Writer(threading.Thread):
    """Creates providers one after another, each id recorded once its 201
    arrived, until told to stop; `started` is set after the third."""

    def __init__(self, gate):
        super().__init__(daemon=True)
        self.gate = gate
        self.created = []
        self.started = threading.Event()
        self.stop = threading.Event()
        self.error = None

    def run(self):
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                r = self.gate.create(oauth2_body(title=f"load {n}"))
                assert r.status_code == 201, f"{r.status_code} {r.text}"
                self.created.append(r.json()["id"])
                if len(self.created) == 3:
                    self.started.set()
        except Exception as exc:  # reported by the test, not lost in the thread
            self.error = exc
            self.started.set()


def test_a_backup_under_write_load_restores_to_a_server_answering_the_same(servers, issued,
                                                                           tmp_path):
    db = servers.new_db()
    key_file = f"{db}.key"
    info = init_with(servers, db, "--realm", REALM)
    srv = servers.server(db, public_url=PUBLIC_URL)
    g = EngageGate(srv, info, issued)
    paths, kept = fill(g)
    paths.remove(g.plist())  # grows under the load: checked below, id by id
    writer = Writer(EngageGate(srv, info, issued))
    writer.start()
    assert writer.started.wait(60) and writer.error is None, writer.error
    before = list(writer.created)  # acknowledged, so on disk, before the backup began
    backup = tmp_path / "backup.db"
    p = servers.run("backup", "--db", db, "--to", backup, timeout=60)
    writer.stop.set()
    writer.join(60)
    assert writer.error is None, writer.error
    assert p.returncode == 0, p.stderr
    assert key_file in p.stdout.decode(), "the output names the key file to keep with it"
    created = writer.created
    assert len(created) > len(before)
    want = answers(g, paths + [g.ppath(i) for i in created], kept["before"])
    srv.stop()

    # a file of its own (no -wal beside it needed), left as it is by restore
    with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    c.close()
    taken = backup.read_bytes()
    restored = servers.new_db()
    p = servers.run("restore", "--from", backup, "--db", restored)
    assert p.returncode == 0, p.stderr
    assert backup.read_bytes() == taken
    assert sorted(x.name for x in tmp_path.iterdir() if x.name.startswith("backup")) == \
        ["backup.db"]
    r = EngageGate(servers.server(restored, public_url=PUBLIC_URL, key_file=key_file), info,
                   issued)
    got = answers(r, paths, kept["before"])
    for path in paths:
        assert got[path] == want[path], f"{path} differs after backup and restore"
    present = []
    for i in created:
        a = r.get(r.ppath(i), token=kept["before"])
        assert a.status_code in (200, 404), a.text
        if a.status_code == 200:
            assert (200, a.headers.get("ETag"), a.json()) == want[r.ppath(i)], i
            present.append(i)
    # one snapshot: what was acknowledged before, then a prefix of the rest
    assert present == created[:len(present)], "the backup is not one snapshot"
    assert len(present) >= len(before)
    listed = r.get(r.plist(), token=kept["before"]).json()
    ids = {item["id"] for item in listed["_embedded"]["item"]}
    assert set(present) <= ids and not (set(created) - set(present)) & ids, listed


def test_restore_refuses_a_served_database_and_backup_an_existing_file(servers, tmp_path):
    db = servers.new_db()
    servers.init(db)
    backup = tmp_path / "b.db"
    assert servers.run("backup", "--db", db, "--to", backup).returncode == 0
    size = backup.stat().st_size
    p = servers.run("backup", "--db", db, "--to", backup)
    assert p.returncode == 1 and b"exists" in p.stderr, p.stderr
    assert backup.stat().st_size == size
    srv = servers.server(db)
    p = servers.run("restore", "--from", backup, "--db", db)
    assert p.returncode == 1 and b"another server" in p.stderr, p.stderr
    assert srv.stop() == 0


def test_restore_refuses_a_file_that_is_not_a_socialgate_backup(servers, tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"not a database" * 100)
    target = servers.new_db()
    p = servers.run("restore", "--from", bogus, "--db", target)
    assert p.returncode == 1, p.stderr
    assert not target.exists() or target.stat().st_size == 0


def test_backup_of_postgresql_points_at_pg_dump(servers, tmp_path):
    p = servers.run("backup", "--db", "postgresql://db.invalid/sg", "--key-file",
                    tmp_path / "k", "--to", tmp_path / "b.db")
    assert p.returncode == 1 and b"pg_dump" in p.stderr, p.stderr
    assert not (tmp_path / "b.db").exists()
