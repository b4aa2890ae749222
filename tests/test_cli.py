"""The command line of API.md: `flask --app wsgi facility ...`, through Flask's CLI test runner.

The commands run in the test process (on a fresh copy of the SQLite template), so they see the
tests' frozen clock; the runner parses arguments exactly as the `flask` command does.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text

from facility.core.extensions import db
from tests.support.databases import TEST_CATALOG, make_app, sqlite_url

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def flask_cli(tmp_path, sqlite_template, monkeypatch):
    url = sqlite_url(sqlite_template, tmp_path)
    monkeypatch.chdir(ROOT)  # as `flask --app wsgi` is run, from the project's root
    app = make_app(url, tmp_path)
    runner = app.test_cli_runner()

    def run(*args, stdin: str = ""):
        result = runner.invoke(args=list(args), input=stdin)
        stderr = result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            # What the `flask` command would have printed: an uncaught exception's traceback.
            stderr += "".join(traceback.format_exception(result.exception))
        with app.app_context():
            db.session.remove()
        return SimpleNamespace(returncode=result.exit_code, stdout=result.stdout, stderr=stderr)

    run.url = url
    yield run
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def scalar(url: str, sql: str):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def test_organisation_user_qualification_and_token(flask_cli):
    made = flask_cli(
        "facility", "create-organisation", "nkv", "--name", "NK Vector AB", "--kind", "company", "--size", "micro"
    )
    assert made.returncode == 0, made.stderr
    user = flask_cli(
        "facility",
        "create-user",
        "Erik@NKV.se",
        "--name",
        "Erik Holm",
        "--organisation",
        "nkv",
        "--role",
        "scientist",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert user.returncode == 0, user.stderr
    manager = flask_cli(
        "facility",
        "create-user",
        "m@lab.se",
        "--name",
        "M",
        "--organisation",
        "lu",
        "--role",
        "manager",
        "--facility",
        "lab",
        "--facility",
        "gmp",
    )
    assert manager.returncode == 0, manager.stderr
    assert scalar(flask_cli.url, "SELECT count(*) FROM managed_facilities") == 2
    qualified = flask_cli("facility", "qualify", "erik@nkv.se", "gowning-grade-b", "--until", "2027-06-30")
    assert qualified.returncode == 0, qualified.stderr
    assert scalar(flask_cli.url, "SELECT valid_until FROM user_qualifications") == "2027-06-30"
    token = flask_cli("facility", "token", "erik@nkv.se")
    assert token.returncode == 0 and token.stdout.strip().startswith("fac_")
    secret = token.stdout.strip()
    assert scalar(flask_cli.url, f"SELECT count(*) FROM api_tokens WHERE token_hash = '{secret}'") == 0
    hashed = scalar(flask_cli.url, "SELECT password_hash FROM users WHERE email = 'erik@nkv.se'")
    assert hashed and "a long enough password" not in hashed


@pytest.mark.parametrize(
    "args,message",
    [
        (("create-organisation", "x", "--name", "X", "--kind", "company"), "needs a size class"),
        (("create-organisation", "lu", "--name", "Again", "--kind", "university"), "exists already"),
        (("create-organisation", "x", "--name", "X", "--kind", "club"), "Invalid value for '--kind'"),
        (("create-user", "not-an-email", "--name", "N", "--organisation", "lu"), "is not an e-mail address"),
        (("create-user", "a@b.se", "--name", "N", "--organisation", "nowhere"), "No such organisation"),
        (
            ("create-user", "a@b.se", "--name", "N", "--organisation", "lu", "--role", "manager"),
            "needs at least one facility",
        ),
        (
            ("create-user", "a@b.se", "--name", "N", "--organisation", "lu", "--role", "manager", "--facility", "mars"),
            "No such facility",
        ),
        (("qualify", "nobody@b.se", "gowning-grade-b", "--until", "2027-01-01"), "No such user"),
        (("qualify", "nobody@b.se", "gowning-grade-b", "--until", "next year"), "Invalid value for '--until'"),
        (("token", "nobody@b.se"), "No such user"),
        (("create-organisation", "x", "--name", "Bad \udcff", "--kind", "university"), "not valid Unicode"),
        (("create-user", "a@b.se", "--name", "N\x00", "--organisation", "lu"), "NUL character"),
        (("state-aid", "--at", "9999-12-31"), "--at: Give a day between the years 2000 and 2100"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(flask_cli, args, message):
    before = scalar(flask_cli.url, "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM organisations)")
    result = flask_cli("facility", *args)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert scalar(flask_cli.url, "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM organisations)") == before


def test_load_catalog_is_idempotent_and_retires_what_leaves_the_file(flask_cli, tmp_path):
    again = flask_cli("facility", "load-catalog", str(TEST_CATALOG))
    assert again.returncode == 0, again.stderr
    smaller = tmp_path / "smaller.yaml"
    smaller.write_text(TEST_CATALOG.read_text().replace("      - key: lab-bsc\n", "      - key: lab-bsc-2\n"))
    changed = flask_cli("facility", "load-catalog", str(smaller))
    assert changed.returncode == 0, changed.stderr
    assert scalar(flask_cli.url, "SELECT retired_at IS NOT NULL FROM resources WHERE key = 'lab-bsc'") == 1
    assert scalar(flask_cli.url, "SELECT count(*) FROM resources WHERE key = 'lab-bsc-2'") == 1


def test_a_broken_catalogue_changes_nothing_and_names_line_and_field(flask_cli, tmp_path):
    before = scalar(flask_cli.url, "SELECT group_concat(key || slot_minutes) FROM resources")
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        TEST_CATALOG.read_text()
        .replace("        min_minutes: 240\n", "        min_minutes: 250\n")
        .replace("      slot_minutes: 60\n      min_minutes: 60", "      slot_minutes: 61\n      min_minutes: 60")
    )
    result = flask_cli("facility", "load-catalog", str(broken))
    assert result.returncode != 0
    assert "line" in result.stderr and "min_minutes" in result.stderr and "lab-bioreactor" in result.stderr, (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert scalar(flask_cli.url, "SELECT group_concat(key || slot_minutes) FROM resources") == before
    missing = flask_cli("facility", "load-catalog", str(tmp_path / "nope.yaml"))
    assert missing.returncode != 0 and "Traceback" not in missing.stderr


def test_a_catalogue_nested_too_deeply_is_a_clear_error(flask_cli, tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("facilities: " + "[" * 100_000 + "]" * 100_000)
    result = flask_cli("facility", "load-catalog", str(deep))
    assert result.returncode == 1 and "nested too deeply" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_the_shipped_catalogue_loads(flask_cli):
    result = flask_cli("facility", "load-catalog", str(ROOT / "instruments.yaml"))
    assert result.returncode == 0, result.stderr
    assert (
        scalar(
            flask_cli.url,
            "SELECT count(*) FROM resources WHERE retired_at IS NULL AND key NOT LIKE 'lab-%' AND key NOT LIKE 'gmp-%'",
        )
        >= 15
    )
    assert scalar(flask_cli.url, "SELECT count(*) FROM facilities WHERE key IN ('smile', 'lu-atmp', 'sus-gmp')") == 3


def test_seed_demo_makes_a_living_week_once(flask_cli):
    assert flask_cli("facility", "load-catalog", str(ROOT / "instruments.yaml")).returncode == 0
    first = flask_cli("facility", "seed-demo")
    assert first.returncode == 0, first.stderr
    bookings = scalar(flask_cli.url, "SELECT count(*) FROM bookings")
    assert bookings >= 10
    assert scalar(flask_cli.url, "SELECT count(DISTINCT status) FROM bookings") >= 5  # history: used, no-show...
    # three months of recorded use, so that a new manager's first report and the indicators show something
    months_of_use = "SELECT count(DISTINCT strftime('%Y-%m', start_at)) FROM usage_records WHERE end_at IS NOT NULL"
    assert scalar(flask_cli.url, months_of_use) >= 3
    assert scalar(flask_cli.url, "SELECT count(*) FROM usage_records WHERE batch IS NOT NULL") > 0  # the GMP unit's
    # the scheduler will not mail the made-up people about the made-up bookings
    assert scalar(flask_cli.url, "SELECT seq FROM mail_positions") == scalar(
        flask_cli.url, "SELECT max(seq) FROM audit_events"
    )
    second = flask_cli("facility", "seed-demo")
    assert second.returncode == 0 and "nothing changed" in second.stdout
    assert scalar(flask_cli.url, "SELECT count(*) FROM bookings") == bookings
