"""Every API route × every role, generated from the permission table."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from fincall.auth.permissions import PERMISSIONS, Role

PUBLIC = {("POST", "/api/auth/token")}


def api_routes(app):
    def walk(routes):
        for r in routes:
            if isinstance(r, APIRoute):
                yield r
            elif hasattr(r, "original_router"):
                yield from walk(r.original_router.routes)

    for r in walk(app.routes):
        if r.path.startswith("/api"):
            for m in sorted(r.methods - {"HEAD"}):
                yield m, r


def route_permission(route: APIRoute) -> str | None:
    for dep in route.dependant.dependencies:
        perm = getattr(dep.call, "permission", None)
        if perm:
            return perm
    return None


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "does-not-exist", path)


def test_every_api_route_names_a_permission(world):
    missing = [
        (m, r.path)
        for m, r in api_routes(world.client.app)
        if (m, r.path) not in PUBLIC and route_permission(r) is None
    ]
    assert missing == []


def test_matrix(any_world):
    client = any_world.client
    checked = 0
    for method, route in api_routes(client.app):
        if (method, route.path) in PUBLIC:
            continue
        perm = route_permission(route)
        url = concrete(route.path)
        anon = client.request(method, url, json={})
        assert anon.status_code == 401, (method, url, anon.text)
        for role in Role:
            resp = client.request(method, url, json={}, headers=any_world.headers(role))
            if role in PERMISSIONS[perm]:
                assert resp.status_code not in (401, 403), (method, url, role, resp.text)
                assert resp.status_code < 500, (method, url, role, resp.text)
            else:
                assert resp.status_code == 403, (method, url, role, resp.text)
                assert resp.json()["error"]["code"] == "permission-denied"
            checked += 1
    assert checked >= 25 * len(Role)


@pytest.mark.parametrize("role", list(Role))
def test_list_endpoints_answer_200_to_permitted_roles(world, role):
    for path, perm in [
        ("/api/customers", "customers.read"),
        ("/api/products", "products.read"),
        ("/api/agents", "agents.read"),
        ("/api/contacts", "contacts.read"),
        ("/api/users", "users.read"),
        ("/api/audit/events", "audit.read"),
        ("/api/audit/verify", "audit.verify"),
        ("/api/auth/me", "self.read"),
    ]:
        resp = world.client.get(path, headers=world.headers(role))
        expected = 200 if role in PERMISSIONS[perm] else 403
        assert resp.status_code == expected, (path, role, resp.text)


def test_agent_sees_only_customers_they_serve(world):
    h = world.headers("agent")
    mine = world.client.get("/api/customers?limit=500", headers=h).json()
    everyone = world.client.get(
        "/api/customers?limit=500", headers=world.headers("supervisor")
    ).json()
    assert 0 < len(mine) < len(everyone)
    mine_ids = {c["id"] for c in mine}
    stranger = next(c["id"] for c in everyone if c["id"] not in mine_ids)
    assert world.client.get(f"/api/customers/{stranger}", headers=h).status_code == 404
    assert world.client.get(f"/api/customers/{stranger}/360", headers=h).status_code == 404
    for c in world.client.get("/api/contacts?limit=500", headers=h).json():
        assert c["customer_id"] in mine_ids
