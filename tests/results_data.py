"""Responses with known answers, synced through the real API, for the results, reach and public-page tests."""

from datetime import UTC, datetime, timedelta

from server.util import uuid7
from tests.factories import response_body


def answers(wonen=4, missen="groen", plekken=("park",), veilig="yes", jaren=None, idee=None) -> list[dict]:
    """Answers to the demo campaign; `None` leaves a question out."""
    given = [("wonen", wonen), ("missen", missen), ("plekken", list(plekken) if plekken else None),
             ("veilig", veilig), ("jaren", jaren), ("idee", idee)]
    return [{"question": key, "value": value} for key, value in given if value is not None]


def resident(campaign, language="nl", buurt="Noord", age="27-40", day=0, receipt=None, collected_at=None,
             **given) -> dict:
    """One door-to-door response collected `day` days after 1 October 2026, 10:00 in Amsterdam."""
    collected = collected_at or (datetime(2026, 10, 1, 8, 0, tzinfo=UTC) + timedelta(days=day)).isoformat()
    return response_body(campaign, id=str(uuid7()), language=language, collected_at=collected,
                         meta={"buurt": buurt, "age_bracket": age}, answers=answers(**given), receipt=receipt,
                         consent={"answers": True, "audio": False})


def sync(client, headers, bodies: list[dict]) -> None:
    """Send `bodies` through `/api/v1/sync` in batches; every one must be created."""
    for start in range(0, len(bodies), 100):
        reply = client.post("/api/v1/sync", json={"responses": bodies[start:start + 100]}, headers=headers)
        assert reply.status_code == 200, reply.get_data(as_text=True)
        assert {item["status"] for item in reply.json["results"]} == {"created"}, reply.json


def crowd(campaign, specs: list[tuple[int, dict]]) -> list[dict]:
    """``[(how many, resident keyword arguments), ...]`` as response bodies."""
    return [resident(campaign, **kwargs) for count, kwargs in specs for _ in range(count)]


def forget_locale_between_requests(app) -> None:
    """Flask-Babel caches the locale in `g`, which the test's long-lived app context shares between test-client
    requests; drop it as each request starts, as a fresh app context would in production."""
    from flask import g

    @app.before_request
    def _forget_locale():
        g.pop("_flask_babel", None)
