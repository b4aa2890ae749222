"""Backups that restore: `flask facility backup PATH` while gunicorn takes bookings, then
`flask facility restore PATH` into a new database, on SQLite and PostgreSQL.

Every booking acknowledged (201) before the backup started is in the restored database, with
its audit events unchanged, and the restored database migrates and serves it. The commands run
through Flask's CLI test runner, in the test process, at the tests' frozen clock.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
import requests
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from facility.core.backup import code_heads
from facility.core.extensions import db
from tests.support.clients import ApiClient
from tests.support.databases import make_app, postgres_url, sqlite_url
from tests.support.factory import People, local_slot
from tests.support.live import GunicornServer

WRITERS = 4
PER_WRITER = 60  # lab-bsc: one 30-minute slot a weekday per writer, within quota and horizon
_restored_numbers = iter(range(1_000_000))


def cli(app, *args: str):
    result = app.test_cli_runner().invoke(args=["facility", *args])
    with app.app_context():
        db.session.remove()
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result


def backend_app(url: str, tmp_path: Path, request):
    app = make_app(url, tmp_path)
    if url.startswith("postgresql"):
        app.config["FACILITY_PG_BIN"] = str(request.getfixturevalue("postgres").bindir)
    return app


def dispose(*apps) -> None:
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def source_url(request, tmp_path, sqlite_template) -> str:
    if request.param == "sqlite":
        return sqlite_url(sqlite_template, tmp_path)
    return postgres_url(request.getfixturevalue("postgres"), request.getfixturevalue("postgres_template"))


@pytest.fixture
def new_url(request, source_url, tmp_path) -> str:
    """A new, empty database of the source's kind."""
    if source_url.startswith("sqlite"):
        folder = tmp_path / f"restored-{next(_restored_numbers)}"
        folder.mkdir()
        return f"sqlite:///{folder / 'facility.sqlite3'}"
    postgres = request.getfixturevalue("postgres")
    name = f"facility_restored_{next(_restored_numbers)}"
    postgres.execute(f"CREATE DATABASE {name}")
    return postgres.url(name)


def rows(url: str, sql: str, **params) -> list[tuple]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


class Writers:
    """Threads that book lab-bsc through gunicorn until stopped, noting when each 201 arrived."""

    def __init__(self, url: str, tokens: list[str]):
        self.url, self.tokens = url, tokens
        self.acknowledged: list[tuple[float, float, str, dict]] = []  # (sent, acknowledged, token, body)
        self.unexpected: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._write, args=(i,)) for i in range(len(tokens))]

    def _write(self, i: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.tokens[i]}"
        for n in range(PER_WRITER):
            if self.stop.is_set():
                return
            start, end = local_slot(7 * (n // 5 + 1), 8 + 2 * i, hours=0.5, weekday=n % 5)
            body = {"resource": "lab-bsc", "start": start, "end": end, "purpose": f"writer {i} #{n}"}
            sent = time.monotonic()
            response = session.post(self.url + "/api/v1/bookings", json=body, timeout=60)
            arrived = time.monotonic()
            if response.status_code != 201:
                self.unexpected.append(f"{response.status_code} {response.text}")
                return
            with self.lock:
                self.acknowledged.append((sent, arrived, self.tokens[i], response.json()))

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)

    def wait_for(self, total: int) -> None:
        deadline = time.monotonic() + 120
        while self.count() < total and not self.unexpected and any(t.is_alive() for t in self.threads):
            assert time.monotonic() < deadline, "the writers are too slow"
            time.sleep(0.01)

    def __enter__(self) -> "Writers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(120)


def test_a_backup_taken_during_writes_restores_every_acknowledged_booking(request, source_url, new_url, tmp_path):
    source = backend_app(source_url, tmp_path, request)
    people = People(source)
    tokens = [people.make().token for _ in range(WRITERS)]
    server = GunicornServer(source_url, tmp_path, workers=2).start()
    backup_path = tmp_path / "facility.backup"
    try:
        with Writers(server.url, tokens) as writers:
            writers.wait_for(20)
            started = time.monotonic()
            made = cli(source, "backup", str(backup_path))
            finished = time.monotonic()
            writers.wait_for(writers.count() + 20 + WRITERS)  # the service went on taking bookings
    finally:
        output = server.stop()
    assert "Traceback" not in output, output
    assert writers.unexpected == []
    assert made.exit_code == 0, made.output
    kind = "SQLite" if source_url.startswith("sqlite") else "PostgreSQL"
    assert f"{backup_path}: {backup_path.stat().st_size} bytes, a {kind} backup" in made.output
    assert not backup_path.with_name(backup_path.name + ".partial").exists()
    assert backup_path.stat().st_mode & 0o077 == 0  # readable by its owner only

    before = [(token, body) for _sent, arrived, token, body in writers.acknowledged if arrived < started]
    after = [body for sent, _arrived, _token, body in writers.acknowledged if sent > finished]
    assert len(before) >= 20 and len(after) >= 20  # writes before the backup, and after it
    ids = [body["id"] for _token, body in before]

    restored = backend_app(new_url, tmp_path, request)
    try:
        done = cli(restored, "restore", str(backup_path))
        assert done.exit_code == 0, done.output
        assert "matches the code's head" in done.output
        with restored.app_context():
            upgrade(revision="heads")  # the restored database migrates (nothing to do)

        # It serves every acknowledged booking, to its owner, as it was acknowledged.
        for token, body in before:
            response = ApiClient(restored.test_client(), token).get(f"/bookings/{body['id']}")
            assert response.status_code == 200, response.text
            assert response.get_json() == body

        # The audit trail of those bookings is the source's, row for row.
        audit = (
            "SELECT id, at, actor_id, action, entity, entity_id, facility_id, before, after, reason, "
            "signature_meaning FROM audit_events "
            "WHERE entity = 'bookings' ORDER BY id"
        )
        source_events = [row for row in rows(source_url, audit) if row[5] in ids]
        restored_events = rows(new_url, audit)
        assert {row[5] for row in source_events} == set(ids)
        assert [row for row in restored_events if row[5] in ids] == source_events
        # One snapshot: no booking without its audit event, no event whose booking is missing.
        restored_bookings = {row[0] for row in rows(new_url, "SELECT id FROM bookings")}
        assert restored_bookings >= set(ids)
        assert {row[5] for row in restored_events} == restored_bookings
        # Nothing asked for after the backup finished is in it.
        assert not restored_bookings & {body["id"] for body in after}
        # And the restored audit trail is one unbroken hash chain.
        verified = cli(restored, "audit", "verify")
        assert verified.exit_code == 0 and "audit trail intact" in verified.output, verified.output
    finally:
        dispose(source, restored)


@pytest.fixture
def source(request, source_url, tmp_path):
    app = backend_app(source_url, tmp_path, request)
    yield app
    dispose(app)


def count(url: str, table: str) -> int:
    return rows(url, f"SELECT count(*) FROM {table}")[0][0]


def test_restore_refuses_a_database_with_rows_unless_forced(source, source_url, tmp_path):
    people = People(source)
    scientist = people.make()
    backup_path = tmp_path / "facility.backup"
    assert cli(source, "backup", str(backup_path)).exit_code == 0
    start, end = local_slot(14, 10)
    assert scientist.post("/bookings", json={"resource": "lab-bsc", "start": start, "end": end}).status_code == 201

    refused = cli(source, "restore", str(backup_path))
    assert refused.exit_code == 1
    assert "the database is not empty" in refused.output and "--force" in refused.output
    assert "Traceback" not in refused.output
    assert count(source_url, "bookings") == 1  # nothing changed

    forced = cli(source, "restore", str(backup_path), "--force")
    assert forced.exit_code == 0, forced.output
    assert "matches the code's head" in forced.output
    assert count(source_url, "bookings") == 0  # as it was at the backup
    assert count(source_url, "users") == 1  # the scientist was made before it
    assert scientist.get("/bookings").get_json() == []


def test_backup_refuses_to_overwrite_unless_forced(source, tmp_path):
    backup_path = tmp_path / "facility.backup"
    backup_path.write_bytes(b"an older backup")
    refused = cli(source, "backup", str(backup_path))
    assert refused.exit_code == 1
    assert f"{backup_path} already exists (give --force to overwrite it)" in refused.output
    assert backup_path.read_bytes() == b"an older backup"

    forced = cli(source, "backup", str(backup_path), "--force")
    assert forced.exit_code == 0, forced.output
    assert backup_path.read_bytes() != b"an older backup"
    assert f"{backup_path}: {backup_path.stat().st_size} bytes" in forced.output


def test_restore_names_a_file_that_is_no_backup(source, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    result = cli(source, "restore", str(junk), "--force")
    assert result.exit_code == 1
    assert "is neither a SQLite database nor a pg_dump custom-format archive" in result.output
    missing = cli(source, "restore", str(tmp_path / "missing.backup"))
    assert missing.exit_code == 1 and "is not a file" in missing.output


@pytest.mark.postgres
def test_postgres_programs_come_from_facility_pg_bin(request, postgres, postgres_template, tmp_path):
    app = backend_app(postgres_url(postgres, postgres_template), tmp_path, request)
    app.config["FACILITY_PG_BIN"] = str(tmp_path)  # no pg_dump there
    backup_path = tmp_path / "facility.backup"
    try:
        result = cli(app, "backup", str(backup_path))
    finally:
        dispose(app)
    assert result.exit_code == 1
    assert f"pg_dump was not found in FACILITY_PG_BIN ({tmp_path})" in result.output
    assert not backup_path.exists() and not backup_path.with_name("facility.backup.partial").exists()


def test_restore_says_when_the_backup_is_behind_the_code(request, sqlite_template, tmp_path):
    """A backup from an older release restores, and the command says to migrate it."""
    source = backend_app(sqlite_url(sqlite_template, tmp_path), tmp_path, request)
    backup_path = tmp_path / "facility.backup"
    (tmp_path / "restored").mkdir()
    restored = backend_app(f"sqlite:///{tmp_path / 'restored' / 'facility.sqlite3'}", tmp_path, request)
    try:
        assert cli(source, "backup", str(backup_path)).exit_code == 0
        with sqlite3.connect(backup_path) as conn:  # as if written by an older release
            conn.execute("UPDATE alembic_version SET version_num = '0005'")
        conn.close()
        result = cli(restored, "restore", str(backup_path))
    finally:
        dispose(source, restored)
    assert result.exit_code == 1
    with restored.app_context():
        (head,) = code_heads()
    assert f"the restored database is at alembic revision 0005, but the code's head is {head}" in result.output
    assert "db upgrade" in result.output


def test_an_empty_migrated_database_takes_a_restore_without_force(source, source_url, new_url, request, tmp_path):
    """Migrated but without rows (only alembic's own), a database counts as empty."""
    backup_path = tmp_path / "facility.backup"
    assert cli(source, "backup", str(backup_path)).exit_code == 0
    restored = backend_app(new_url, tmp_path, request)
    try:
        with restored.app_context():
            upgrade(revision="heads")
            db.engine.dispose()
        result = cli(restored, "restore", str(backup_path))
    finally:
        dispose(restored)
    assert result.exit_code == 0, result.output
    assert "matches the code's head" in result.output
    assert count(new_url, "resources") == count(source_url, "resources") > 0


@pytest.mark.postgres
def test_restore_names_a_database_it_cannot_reach(request, postgres, tmp_path):
    app = backend_app(postgres.url("facility_never_created"), tmp_path, request)
    dump = tmp_path / "facility.backup"
    dump.write_bytes(b"PGDMP and the rest")
    try:
        result = cli(app, "restore", str(dump))
    finally:
        dispose(app)
    assert result.exit_code == 1
    assert "the configured database cannot be reached" in result.output
    assert "facility_never_created" in result.output


def test_restore_names_a_sqlite_target_that_is_no_database(request, sqlite_template, tmp_path):
    source = backend_app(sqlite_url(sqlite_template, tmp_path), tmp_path, request)
    target = tmp_path / "target" / "facility.sqlite3"
    target.parent.mkdir()
    target.write_text("not a database, but someone's file")
    restored = backend_app(f"sqlite:///{target}", tmp_path, request)
    backup_path = tmp_path / "facility.backup"
    try:
        assert cli(source, "backup", str(backup_path)).exit_code == 0
        result = cli(restored, "restore", str(backup_path))
    finally:
        dispose(source, restored)
    assert result.exit_code == 1
    assert "the configured database cannot be reached or read: file is not a database" in result.output
    assert target.read_text() == "not a database, but someone's file"
