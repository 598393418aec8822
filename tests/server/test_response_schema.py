"""The response schema's fast paths load and refuse exactly what plain nested marshmallow schemas do."""

import uuid

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError, fields, validate

from server.responses.models import AGE_BRACKETS, CHANNELS
from server.responses.schemas import (
    AnswerSchema,
    ConsentSchema,
    MetaSchema,
    ResponseSchema,
    VoiceRefSchema,
    load_response,
    response_schema,
)
from server.validation import nul_path


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


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(consent=consents)
def test_consent_loads_as_with_plain_schemas(consent):
    check_agreement(consent=consent)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(meta=st.one_of(st.just(MISSING), metas))
def test_meta_loads_as_with_plain_schemas(meta):
    check_agreement(meta=meta)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(answers=answer_lists)
def test_answers_load_as_with_plain_schemas(answers):
    check_agreement(answers=answers)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(voice_notes=st.one_of(st.just(MISSING), voice_lists))
def test_voice_notes_load_as_with_plain_schemas(voice_notes):
    check_agreement(voice_notes=voice_notes)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(consent=st.one_of(st.just(MISSING), consents), meta=st.one_of(st.just(MISSING), metas),
       answers=st.one_of(st.just(MISSING), answer_lists),
       voice_notes=st.one_of(st.just(MISSING), voice_lists))
def test_whole_responses_load_as_with_plain_schemas(consent, meta, answers, voice_notes):
    check_agreement(consent=consent, meta=meta, answers=answers, voice_notes=voice_notes)


#: ``collected_at`` as phones send it, and as they should not.
TIMES = ["2026-11-28T10:15:00+01:00", "2026-11-28T09:15:00Z", "2026-11-28T09:15:00.123Z", "2026-11-28T09:15:00",
         "2026-11-28T09:15", "2026-11-28", "2026-11-28 09:15:00", "2026-13-01T00:00:00Z", "2026-11-28T25:00:00Z",
         "2026-11-28T09:15:00+25:00", "2026-11-28T09:15:00.1234567Z", "20261128T091500Z", "yesterday", "",
         "1970-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "1899-12-31T23:59:59Z", "1900-01-01T01:00:00+01:00",
         "2999-12-31T23:59:59-05:00", "9999-12-31T23:59:59-01:00",
         # as phones write them (the plain path reads these itself)
         "2026-11-28T09:15:00.123Z", "2026-11-28T10:15:00.123+01:00", "0001-01-01T00:00:00.000+01:00",
         "1899-12-31T23:59:59.999Z", "2026-11-28T24:00:00.000Z", "2026-02-30T10:00:00.000Z",
         "2026-11-28T09:15:00.123+25:00", "2026-11-28T09:15:00.123-00:00", "2026-11-28T09:15:60.000Z",
         "2999-12-31T23:59:59.999-00:01", "2026-11-28T09:15:00.123+14:59"]
#: Times in the phones' own form, over every year and offset.
phone_times = st.builds(
    lambda moment, minutes: moment.isoformat(timespec="milliseconds") + (
        "Z" if minutes is None else f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"),
    st.datetimes(), st.one_of(st.none(), st.integers(-1500, 1500)))
valid_responses = st.fixed_dictionaries(
    {"id": st.uuids().map(str), "campaign_id": st.uuids().map(str), "campaign_version": st.integers(1, 100_000),
     "language": st.one_of(st.sampled_from(["nl", "tr", "ar", "l" * 16]), st.text(min_size=2, max_size=16)),
     "channel": st.sampled_from(CHANNELS),
     "collected_at": st.one_of(st.sampled_from(TIMES[:5]), st.datetimes().map(lambda d: d.isoformat()),
                               phone_times),
     "consent": st.fixed_dictionaries({"answers": st.booleans(), "audio": st.booleans()}),
     "answers": st.lists(st.fixed_dictionaries({"question": st.text(min_size=1, max_size=64),
                                                "value": json_values.filter(lambda v: v is not None)}), max_size=4)},
    optional={"source": st.one_of(st.none(), st.text(min_size=1, max_size=16)),
              "receipt": st.one_of(st.none(), st.text(min_size=6, max_size=64)),
              "meta": st.fixed_dictionaries({}, optional={
                  "buurt": st.one_of(st.none(), st.text(min_size=1, max_size=100)),
                  "age_bracket": st.one_of(st.none(), st.sampled_from(AGE_BRACKETS))}),
              "voice_notes": st.lists(st.fixed_dictionaries({"id": st.uuids().map(str),
                                                             "question": st.text(min_size=1, max_size=64)}),
                                      max_size=3)})
#: Whole responses: valid, one top-level value replaced (by an edge value, a bad time, a bad nested
#: object), a key dropped or added, or anything at all.
responses_near_valid = near(valid_responses.flatmap(lambda body: st.one_of(
    st.just(body),
    st.builds(lambda key, value: {**body, key: value},
              st.sampled_from(["collected_at", "campaign_version", "language", "source", "receipt", "id"]),
              st.one_of(st.sampled_from(TIMES), phone_times, edges, st.integers(), st.text(max_size=17))),
    st.builds(lambda consent, meta, answers: {**body, "consent": consent, "meta": meta, "answers": answers},
              consents, metas, answer_lists))))


@pytest.mark.slow
@settings(max_examples=1000, deadline=None)
@given(body=responses_near_valid)
def test_the_plain_path_loads_whole_responses_as_marshmallow_does(body):
    """`load_response` on a NUL-free body (as the sync view calls it) agrees with the plain schemas."""
    assume(nul_path(body) is None)
    assert outcome_of_plain_path(body) == outcome(plain_schema, body)


def test_the_plain_path_takes_a_typical_response_without_marshmallow(monkeypatch):
    body = base_body(consent={"answers": True, "audio": False}, source="K7M2QX", receipt="ABCDEFGH",
                     answers=[{"question": "wonen", "value": 4}, {"question": "idee", "value": "Meer bankjes"}])
    expected = plain_schema.load(body)
    monkeypatch.setattr(response_schema, "load", lambda *_args, **_kwargs: pytest.fail("marshmallow was asked"))
    assert load_response(body, free_of_nul=True) == expected


def test_without_the_callers_word_nul_characters_are_still_refused():
    body = base_body(consent={"answers": True, "audio": True}, answers=[{"question": "idee", "value": "a\x00b"}])
    kind, messages = outcome_of_plain_path(body, free_of_nul=False)
    assert kind == "refused" and messages == {"answers.0.value": [
        "This text contains a character that cannot be stored."]}


def outcome_of_plain_path(body, free_of_nul=True):
    try:
        return "loaded", load_response(body, free_of_nul=free_of_nul)
    except ValidationError as err:
        return "refused", err.messages


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
