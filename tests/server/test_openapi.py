"""Schemathesis over /api/openapi.json: no input causes a server error, and the document tells the truth."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from server.extensions import db


@pytest.fixture
def api_schema(app, auth, campaign, flyer):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_every_input_as_documented(case, auth):
    response = case.call_and_validate(headers=auth, excluded_checks=[checks.positive_data_acceptance])
    db.session.rollback()
    if case.meta and case.meta.generation.mode.is_positive and response.status_code == 422:
        assert response.json()["error"]["code"] != "invalid_input", "schema-valid input refused as invalid"


def test_document_lists_every_route_of_the_api(app, client):
    document = client.get("/api/openapi.json").json
    documented = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule.replace("<uuid:", "{").replace("<", "{").replace(">", "}")
            routed |= {(path, method) for method in rule.methods - {"OPTIONS"}}
    routed -= {(path, "HEAD") for path, method in routed if method == "GET" and (path, "HEAD") not in documented}
    assert documented == routed


def test_document_is_openapi_3_with_both_ways_in(client):
    document = client.get("/api/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert set(document["components"]["securitySchemes"]) == {"device", "uploadKey"}
    assert document["paths"]["/api/v1/devices/enrol"]["post"]["security"] == []
