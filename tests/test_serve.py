"""`fincall serve` as a newcomer runs it: a fresh data dir, migrations, demo data, logins."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time

import httpx

from tests.web.conftest import free_port


def test_serve_on_a_fresh_data_dir(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "FINCALL_DATA_DIR": str(tmp_path / "data"),
        "FINCALL_SIP_PORT": str(free_port()),
        "FINCALL_SMTP_PORT": str(free_port()),
        "FINCALL_NLU_ENABLED": "0",  # training the models is covered by tests/nlu
    }
    env.pop("FINCALL_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fincall.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while not any("Uvicorn running on" in x for x in seen):
            assert proc.poll() is None, "fincall serve exited:\n" + "".join(seen)
            seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        health = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert health.json() == {"status": "ok", "intent_model": "off"}
        logins = (tmp_path / "data" / "demo-logins.txt").read_text().splitlines()
        users = {line.split("\t")[0]: line.split("\t")[2] for line in logins}
        assert set(users) == {"agent", "supervisor", "qa", "compliance", "admin"}
        assert oct((tmp_path / "data" / "secret_key").stat().st_mode & 0o777) == "0o600"
        token = httpx.post(
            f"http://127.0.0.1:{port}/api/auth/token",
            json={"username": "supervisor", "password": users["supervisor"]},
        ).json()["access_token"]
        customers = httpx.get(
            f"http://127.0.0.1:{port}/api/customers?limit=500",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert 45 <= len(customers) <= 60
        assert {c["region"] for c in customers} == {"CN", "HK", "SG", "UK", "US"}
        assert {c["risk_rating"] for c in customers} == {1, 2, 3, 4, 5}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    out = "".join(seen)
    assert f"http://127.0.0.1:{port}" in out
    assert "supervisor" in out
