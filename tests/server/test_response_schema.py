"""The response schema's fast path loads and refuses exactly what plain nested marshmallow schemas do."""

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError, fields, validate

from server.responses.models import AGE_BRACKETS
from server.responses.schemas import (
    AnswerSchema,
    ConsentSchema,
    MetaSchema,
    ResponseSchema,
    VoiceRefSchema,
    response_schema,
)


class PlainResponseSchema(ResponseSchema):
    """The specification: every nested object through its own marshmallow schema."""

    consent = fields.Nested(ConsentSchema, required=True)
    meta = fields.Nested(MetaSchema, load_default=lambda: {"buurt": None, "age_bracket": None})
    answers = fields.List(fields.Nested(AnswerSchema), required=True, validate=validate.Length(max=100))
    voice_notes = fields.List(fields.Nested(VoiceRefSchema), load_default=list,
                              validate=validate.Length(max=60))


plain_schema = PlainResponseSchema()
MISSING = object()


def outcome(schema, body: dict):
    try:
        return "loaded", schema.load(body)
    except ValidationError as err:
        return "refused", err.messages


def base_body(**fields_) -> dict:
    body = {
        "id": "01937f3e-8a4b-7c2d-9e1f-0a1b2c3d4e5f",
        "campaign_id": "01937f3e-0000-7000-8000-000000000001",
        "campaign_version": 1,
        "language": "nl",
        "channel": "door_to_door",
        "collected_at": "2026-11-28T10:15:00+01:00",
    }
    body.update({key: value for key, value in fields_.items() if value is not MISSING})
    return body


#: Values at the edges of what the nested fields accept, and beyond.
EDGE_VALUES = [None, True, False, 0, 1, -1, 2**31, 1.5, "", "x", "true", "yes", "1", "q" * 64, "q" * 65,
               "b" * 100, "b" * 101, *AGE_BRACKETS, "90+", [], {}, ["park"], {"a": 1},
               str(uuid.UUID(int=3)), uuid.UUID(int=3).hex, f"{{{uuid.UUID(int=3)}}}",
               "urn:uuid:" + str(uuid.UUID(int=3)), "not-a-uuid"]
edges = st.sampled_from(EDGE_VALUES)
json_values = st.recursive(st.one_of(edges, st.text(max_size=4), st.integers()),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=3), inner, max_size=2), max_leaves=5)


def near(valid: st.SearchStrategy) -> st.SearchStrategy:
    """A valid object, or one with a key's value replaced, a key dropped or a key added; or anything."""

    def changed(obj, data):
        key = data.draw(st.sampled_from([*obj, "extra"]))
        how = data.draw(st.sampled_from(["replace", "drop"]))
        if how == "drop" and key in obj:
            return {k: v for k, v in obj.items() if k != key}
        return {**obj, key: data.draw(st.one_of(edges, json_values))}

    return st.one_of(valid, st.builds(changed, valid, st.data()), json_values)


def lists_of(items: st.SearchStrategy, valid_item: dict, limit: int) -> st.SearchStrategy:
    return st.one_of(st.lists(items, max_size=4), json_values,
                     st.sampled_from([limit, limit + 1]).map(lambda n: [valid_item] * n))


questions = st.one_of(st.text(min_size=1, max_size=64), st.sampled_from(["wonen", "q" * 64, "q" * 65, ""]))
consents = near(st.fixed_dictionaries({"answers": st.booleans(), "audio": st.booleans()}))
metas = near(st.fixed_dictionaries({}, optional={
    "buurt": st.one_of(st.none(), st.text(min_size=1, max_size=100), st.sampled_from(["b" * 101, ""])),
    "age_bracket": st.one_of(st.none(), st.sampled_from([*AGE_BRACKETS, "90+", ""]))}))
answer_lists = lists_of(near(st.fixed_dictionaries({"question": questions, "value": json_values})),
                        {"question": "q", "value": 1}, 100)
uuid_texts = st.one_of(st.uuids().map(str), st.sampled_from(EDGE_VALUES[-5:]))
voice_lists = lists_of(near(st.fixed_dictionaries({"id": uuid_texts, "question": questions})),
                       {"id": str(uuid.UUID(int=1)), "question": "q"}, 60)


@settings(max_examples=300, deadline=None)
@given(consent=consents)
def test_consent_loads_as_with_plain_schemas(consent):
    check_agreement(consent=consent)


@settings(max_examples=300, deadline=None)
@given(meta=st.one_of(st.just(MISSING), metas))
def test_meta_loads_as_with_plain_schemas(meta):
    check_agreement(meta=meta)


@settings(max_examples=300, deadline=None)
@given(answers=answer_lists)
def test_answers_load_as_with_plain_schemas(answers):
    check_agreement(answers=answers)


@settings(max_examples=300, deadline=None)
@given(voice_notes=st.one_of(st.just(MISSING), voice_lists))
def test_voice_notes_load_as_with_plain_schemas(voice_notes):
    check_agreement(voice_notes=voice_notes)


@settings(max_examples=200, deadline=None)
@given(consent=st.one_of(st.just(MISSING), consents), meta=st.one_of(st.just(MISSING), metas),
       answers=st.one_of(st.just(MISSING), answer_lists),
       voice_notes=st.one_of(st.just(MISSING), voice_lists))
def test_whole_responses_load_as_with_plain_schemas(consent, meta, answers, voice_notes):
    check_agreement(consent=consent, meta=meta, answers=answers, voice_notes=voice_notes)


def check_agreement(**nested):
    """Load a response whose other fields are valid with both schemas; results or errors must be equal."""
    defaults = {"consent": {"answers": True, "audio": True}, "answers": [{"question": "wonen", "value": 3}]}
    body = base_body(**{**defaults, **nested})
    assert outcome(response_schema, body) == outcome(plain_schema, body)


def test_a_typical_response_loads_the_same_through_both():
    body = base_body(consent={"answers": True, "audio": False}, meta={"buurt": "Noord"},
                     answers=[{"question": "wonen", "value": 4}, {"question": "plekken", "value": ["park"]}],
                     voice_notes=[{"id": str(uuid.UUID(int=7)), "question": "vertel"}])
    kind, loaded = outcome(response_schema, body)
    assert kind == "loaded"
    assert loaded["voice_notes"] == [{"id": uuid.UUID(int=7), "question": "vertel"}]
    assert loaded["meta"] == {"buurt": "Noord", "age_bracket": None}
    assert (kind, loaded) == outcome(plain_schema, body)


def test_errors_inside_nested_objects_keep_their_paths():
    body = base_body(consent={"answers": "maybe", "audio": True},
                     answers=[{"question": "wonen", "value": 4}, {"question": "", "value": None, "x": 1}])
    kind, messages = outcome(response_schema, body)
    assert kind == "refused"
    assert messages == {"consent": {"answers": ["Not a valid boolean."]},
                        "answers": {1: {"question": ["Length must be between 1 and 64."],
                                        "value": ["Field may not be null."], "x": ["Unknown field."]}}}
