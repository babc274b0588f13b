"""The OpenAPI document is generated from the routes and matches them both ways."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tracker.api.spec import Field, api_rules, build_document, parse_fields

METHODS = {"get", "post", "put", "patch", "delete"}


def rule_pairs(app) -> set[tuple[str, str]]:
    pairs = set()
    for rule in api_rules(app):
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        pairs |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return pairs


def doc_pairs(doc) -> set[tuple[str, str]]:
    return {(p, m) for p, ops in doc["paths"].items() for m in ops if m in METHODS}


def test_every_api_rule_is_documented_and_nothing_else(app):
    doc = build_document(app)
    assert rule_pairs(app) == doc_pairs(doc)
    assert len(doc_pairs(doc)) >= 13


def test_served_document_is_openapi_3_1_and_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["paths"]["/api/v1/openapi.json"]["get"]["security"] == []
    detail = doc["paths"]["/api/v1/processes/{process_id}"]["get"]
    assert detail["security"] == [{"bearer": []}]
    assert detail["x-permission"] == "process.view"
    assert detail["parameters"][0]["schema"]["maximum"] == 2**31 - 1


def test_every_reference_resolves(app):
    doc = build_document(app)
    text = repr(doc)
    refs = set(re.findall(r"#/components/schemas/(\w+)", text))
    assert refs and refs <= set(doc["components"]["schemas"])


def test_a_route_without_a_declaration_cannot_be_documented():
    bare = Flask("bare")
    bare.add_url_rule("/api/v1/secret", "api.secret", lambda: "")
    with pytest.raises(RuntimeError, match="/api/v1/secret"):
        build_document(bare)


def test_body_declarations_validate_what_they_describe():
    fields = (
        Field("n", "integer", required=True, minimum=1, maximum=5),
        Field("when", "date"),
        Field("flag", "boolean"),
    )
    good, errors = parse_fields(fields, {"n": 3, "when": "2026-11-18", "flag": False})
    assert not errors and good["when"].isoformat() == "2026-11-18"
    _bad, errors = parse_fields(fields, {"n": True, "when": "20261118", "flag": "yes", "x": 1})
    assert set(errors) == {"n", "when", "flag", "x"}
    _bad, errors = parse_fields(fields, {"n": 6, "when": "9999-12-31"})
    assert set(errors) == {"n", "when"}
    _bad, errors = parse_fields(fields, {})
    assert [r.code for r in errors["n"]] == ["required"]
    text = (Field("t", "string", max_length=10),)
    for bad in ("nul\x00", "\ud800", "x" * 11, 5):
        assert "t" in parse_fields(text, {"t": bad})[1], repr(bad)
