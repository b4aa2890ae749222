"""Real sockets, only where a test needs one: the app in a thread for the browser tests, and
gunicorn with several worker processes for the races."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

from tests.support import clock
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]


class LiveServer:
    """The Flask app in a thread, served by Werkzeug over real sockets."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


class GunicornServer:
    """``gunicorn -w N wsgi:app``, several processes, as in production, but at the tests'
    frozen instant: the workers serve ``tests.support.frozen_wsgi:app``, which freezes their
    clock at ``$FACILITY_TEST_NOW`` (the test process's current, frozen time) first."""

    def __init__(self, database_url: str, instance: Path, workers: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            FACILITY_DATABASE_URL=database_url,
            FACILITY_SECRET_KEY="test-secret",
            **{clock.ENVIRONMENT_VARIABLE: clock.now().isoformat()},
        )
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--chdir",
                str(ROOT),
                "--log-level",
                "warning",
                # The app is made once and the workers fork from it (it opens no connection
                # and starts no thread while being made): booting N workers no longer imports
                # and builds it N times over, seconds a server on two cores.
                "--preload",
                "tests.support.frozen_wsgi:app",
            ],
            env=env,
            cwd=instance,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def start(self) -> "GunicornServer":
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited: " + self.process.stdout.read().decode())
            try:
                requests.get(self.url + "/api/v1/openapi.json", timeout=5)
                return self
            except requests.RequestException:  # not listening yet, or workers still booting
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> str:
        self.process.terminate()
        output, _ = self.process.communicate(timeout=15)
        return output.decode()
