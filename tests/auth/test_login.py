from __future__ import annotations

import re

from sqlalchemy import select

from fincall.auth.models import User


def test_passwords_are_argon2_hashes(world):
    with world.runtime.transaction() as session:
        for user in session.execute(select(User)).scalars():
            assert user.password_hash.startswith("$argon2id$")
            assert world.passwords[user.role] not in user.password_hash


def test_token_login_and_me(world):
    resp = world.client.post(
        "/api/auth/token",
        json={"username": "supervisor", "password": world.passwords["supervisor"]},
    )
    assert resp.status_code == 200
    token = resp.json()["access_token"]
    me = world.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "supervisor"
    world.client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
    again = world.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401


def test_lockout_after_repeated_failures(world):
    threshold = world.runtime.settings.lockout_threshold
    for _ in range(threshold):
        bad = world.client.post(
            "/api/auth/token", json={"username": "qa", "password": "wrong-pass"}
        )
        assert bad.status_code == 401
        assert bad.json()["error"]["code"] == "bad-credentials"
    locked = world.client.post(
        "/api/auth/token", json={"username": "qa", "password": world.passwords["qa_analyst"]}
    )
    assert locked.status_code == 423
    assert locked.json()["error"]["code"] == "account-locked"
    # the failures are in the audit chain
    events = world.client.get(
        "/api/audit/events?action=auth.login_failed", headers=world.headers("compliance_officer")
    ).json()
    assert len(events) >= threshold


def test_unknown_user_and_wrong_password_look_the_same(world):
    a = world.client.post("/api/auth/token", json={"username": "nobody", "password": "x" * 12})
    b = world.client.post("/api/auth/token", json={"username": "admin", "password": "x" * 12})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def test_cookie_login_page_and_csrf(world):
    c = world.client
    page = c.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    resp = c.post(
        "/login",
        data={"username": "admin", "password": world.passwords["admin"], "next": "/"},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    home = c.get("/")
    assert "Administration" in home.text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', home.text).group(1)
    body = {"username": "new.user", "password": "a-long-password-1", "role": "agent"}
    refused = c.post("/api/users", json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf-failed"
    created = c.post("/api/users", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201


def test_wrong_password_on_login_page(world):
    resp = world.client.post("/login", data={"username": "admin", "password": "nope-nope-nope"})
    assert resp.status_code == 401
    assert "wrong username or password" in resp.text


def test_open_redirect_is_refused(world):
    resp = world.client.post(
        "/login",
        data={"username": "admin", "password": world.passwords["admin"], "next": "//evil.example"},
        follow_redirects=False,
    )
    assert resp.headers["location"] == "/"
