"""One CSRF gate for the whole app: every state-changing request outside the device API needs the token."""

import uuid

import pytest
from flask import Blueprint
from flask_babel import force_locale, gettext
from markupsafe import escape

from server import create_app
from server.csrf import CSRF_MESSAGE, EXEMPT_PREFIX, UNSAFE_METHODS
from server.extensions import db

#: A value for each converter the routes use; the gate answers before any view looks the object up.
SAMPLE_VALUES = {"UUIDConverter": uuid.UUID(int=1), "IntegerConverter": 1}


def sample_url(rule) -> str:
    values = {name: SAMPLE_VALUES.get(type(converter).__name__, "x") for name, converter in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


def page_routes(app) -> list[tuple[str, str, str]]:
    """``(endpoint, method, url)`` for every unsafe method of every route outside the device API."""
    return sorted((rule.endpoint, method, sample_url(rule)) for rule in app.url_map.iter_rules()
                  if not rule.rule.startswith(EXEMPT_PREFIX) for method in rule.methods & UNSAFE_METHODS)


def refusal_text(app) -> str:
    with app.test_request_context(), force_locale("nl"):
        return str(escape(gettext(CSRF_MESSAGE)))


def test_every_form_route_refuses_a_request_without_the_token(app, client):
    routes = page_routes(app)
    assert len(routes) >= 40  # every workspace form, the erasure page, ... (a walk that found none proves nothing)
    expected = refusal_text(app)
    refused_otherwise = []
    for endpoint, method, url in routes:
        reply = client.open(url, method=method, data={"email": "a@example.org"})
        if reply.status_code != 400 or expected not in reply.get_data(as_text=True):
            refused_otherwise.append(f"{method} {url} ({endpoint}): {reply.status_code}")
    assert not refused_otherwise, refused_otherwise


def test_a_wrong_token_is_refused_too(app, client):
    with client.session_transaction() as session:
        session["csrf"] = "s" * 43
    reply = client.post("/workspace/sign-in", data={"csrf_token": "t" * 43, "email": "a@example.org"})
    assert reply.status_code == 400 and refusal_text(app) in reply.get_data(as_text=True)
    reply = client.post("/workspace/sign-in", headers={"X-CSRF-Token": "s" * 43}, data={"email": "a@example.org"})
    assert reply.status_code != 400  # the right token, as a header: the form itself answers (422)


def test_a_new_blueprint_is_protected_without_doing_anything(app_config):
    """A blueprint added later, which installs nothing itself, still gets the gate."""
    app = create_app(app_config)
    extra = Blueprint("extra", __name__, url_prefix="/extra")
    extra.add_url_rule("/change", "change", lambda: "changed", methods=["POST", "PUT", "PATCH", "DELETE"])
    app.register_blueprint(extra)
    client = app.test_client()
    try:
        for method in sorted(UNSAFE_METHODS):
            reply = client.open("/extra/change", method=method)
            assert reply.status_code == 400 and refusal_text(app) in reply.get_data(as_text=True), method
        reply = client.open("/extra/change", method="POST", headers={"Accept": "application/json"})
        assert reply.status_code == 400
        assert reply.json["error"] == {"code": "bad_request", "message": refusal_text(app)}
    finally:
        with app.app_context():
            db.engine.dispose()


def test_the_device_api_takes_no_cookies_so_needs_no_token(client):
    reply = client.post("/api/v1/devices/enrol", json={"code": "NOPE"})
    assert reply.json["error"]["code"] == "enrolment_code_invalid"  # the view answered


@pytest.mark.parametrize("url", ["/workspace/account", "/nowhere"])
def test_a_request_no_route_takes_is_answered_by_the_router(client, url):
    """405 (with Allow) for a method the route does not take, 404 for no route: not the CSRF refusal."""
    reply = client.post(url)
    assert reply.status_code == (405 if url == "/workspace/account" else 404)
