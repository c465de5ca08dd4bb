from __future__ import annotations

import pytest

GOOD = {
    "name": "Test Customer",
    "language": "en",
    "region": "UK",
    "timezone": "Europe/London",
    "phone": "+447911123456",
    "email": "test.customer@example.org",
    "id_number": "QQ123456C",
    "risk_rating": 3,
    "segment": "affluent",
}


def test_create_read_update_delete(world):
    h = world.headers("admin")
    created = world.client.post("/api/customers", json=GOOD, headers=h)
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    upd = world.client.patch(f"/api/customers/{cid}", json={"risk_rating": 4}, headers=h)
    assert upd.json()["risk_rating"] == 4
    assert world.client.delete(f"/api/customers/{cid}", headers=h).status_code == 204
    assert world.client.get(f"/api/customers/{cid}", headers=h).status_code == 404


def test_national_phone_is_normalised_with_the_region(world):
    body = {**GOOD, "phone": "07911 123456", "email": "n@example.org"}
    r = world.client.post("/api/customers", json=body, headers=world.headers("supervisor"))
    assert r.status_code == 201, r.text
    with world.runtime.transaction() as session:
        from fincall.customers.models import Customer

        assert session.get(Customer, r.json()["id"]).phone == "+447911123456"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "+44 12"}, "phone"),
        ({"phone": "not a phone"}, "phone"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"risk_rating": 6}, "risk_rating"),
        ({"risk_rating": 0}, "risk_rating"),
        ({"language": "fr"}, "language"),
        ({"region": "XX"}, "region"),
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
        ({"unexpected": 1}, "unexpected"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
    ],
)
def test_bad_input_is_a_422_with_the_field(world, change, field):
    r = world.client.post("/api/customers", json={**GOOD, **change}, headers=world.headers("admin"))
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid-request"
    assert field in [f["field"] for f in err["fields"]]


def test_duplicate_email_is_a_409_with_the_field(world):
    h = world.headers("admin")
    assert world.client.post("/api/customers", json=GOOD, headers=h).status_code == 201
    dup = world.client.post(
        "/api/customers", json={**GOOD, "email": GOOD["email"].upper()}, headers=h
    )
    assert dup.status_code == 409
    assert dup.json()["error"] == {
        "code": "email-taken",
        "message": "another customer has this email",
        "field": "email",
    }


def test_bad_update_leaves_the_row_unchanged(world):
    h = world.headers("admin")
    cid = world.client.get("/api/customers?limit=1", headers=h).json()[0]["id"]
    before = world.client.get(f"/api/customers/{cid}", headers=h).json()
    bad = world.client.patch(
        f"/api/customers/{cid}", json={"notes": "x", "timezone": "Nowhere/City"}, headers=h
    )
    assert bad.status_code == 422
    assert world.client.get(f"/api/customers/{cid}", headers=h).json() == before


def test_malformed_json_is_a_422(world):
    r = world.client.post(
        "/api/customers",
        content=b"{not json",
        headers={**world.headers("admin"), "content-type": "application/json"},
    )
    assert r.status_code == 422


def test_holding_for_unknown_product_is_404(world):
    h = world.headers("admin")
    cid = world.client.get("/api/customers?limit=1", headers=h).json()[0]["id"]
    r = world.client.post(
        f"/api/customers/{cid}/holdings",
        json={"product_code": "NOPE", "quantity": "10", "cost": "10", "currency": "USD"},
        headers=h,
    )
    assert r.status_code == 404
