"""Validation errors: each carries the stable code declared with its check, whatever marshmallow's wording."""

import importlib
import json
import pkgutil

import marshmallow
import pytest
from flask import current_app, g
from marshmallow import ValidationError, missing

import server
from server import validate
from server.errors import ValidationCode

VALID_ITEM = {
    "id": "01890a5d-ac96-774b-bcce-b302099a8057", "campaign_id": "01890a5d-ac96-774b-bcce-b302099a8058",
    "campaign_version": 1, "language": "nl", "channel": "door_to_door", "collected_at": "2026-11-28T10:15:00+01:00",
    "consent": {"answers": True, "audio": False}, "meta": {"buurt": "Noord", "age_bracket": "27-40"},
    "answers": [{"question": "wonen", "value": 4}], "voice_notes": [], "receipt": None,
}
VALID_NOTE = {"id": "01890a5d-ac96-774b-bcce-b302099a8059", "response_id": "01890a5d-ac96-774b-bcce-b302099a8057",
              "question": "vertel", "size": 100, "content_type": "audio/wav", "sha256": "0" * 64, "duration_ms": None}
ENROL, SYNC, VOICE, ERASURE = "/api/v1/devices/enrol", "/api/v1/sync", "/api/v1/voice-notes", "/api/v1/erasure"


def item(**changes) -> dict:
    """A sync batch of one response: `VALID_ITEM` with `changes` (``None`` values: left out)."""
    body = {**VALID_ITEM, **changes}
    return {"responses": [{key: value for key, value in body.items() if value is not None}]}


def note(**changes) -> dict:
    return {**VALID_NOTE, **changes}


#: (what, endpoint, body): bad input of every kind the API's schemas refuse.
BAD_REQUESTS = [
    ("enrol: nothing", ENROL, {}),
    ("enrol: not an object", ENROL, []),
    ("enrol: null code", ENROL, {"code": None}),
    ("enrol: number as code", ENROL, {"code": 5}),
    ("enrol: short code", ENROL, {"code": "ab"}),
    ("enrol: long label, unknown field", ENROL, {"code": "abcd", "label": "x" * 201, "extra": 1}),
    ("enrol: NUL", ENROL, {"code": "ab\u0000cd"}),
    ("sync: nothing", SYNC, {}),
    ("sync: responses not a list", SYNC, {"responses": 5}),
    ("sync: device status not an object", SYNC, {"responses": [], "device_status": 5}),
    ("sync: device status wrong", SYNC, {"responses": [], "device_status": {"pending_bytes": "x",
                                                                             "pending_responses": -1}}),
    ("item: not an object", SYNC, {"responses": [5]}),
    ("item: empty", SYNC, {"responses": [{}]}),
    ("item: bad id, version as text", SYNC, item(id="x", campaign_version="1")),
    ("item: version 0, short language, unknown channel", SYNC, item(campaign_version=0, language="n",
                                                                    channel="bus")),
    ("item: version a float", SYNC, item(campaign_version=1.5)),
    ("item: time not a time", SYNC, item(collected_at="yesterday")),
    ("item: time out of range", SYNC, item(collected_at="1800-01-01T00:00:00+00:00")),
    ("item: time a number", SYNC, item(collected_at=5)),
    ("item: consent wrong", SYNC, item(consent={"answers": "yes"})),
    ("item: consent not an object", SYNC, item(consent="yes")),
    ("item: meta wrong", SYNC, item(meta={"buurt": "", "age_bracket": "old", "x": 1})),
    ("item: meta not an object", SYNC, item(meta=[1])),
    ("item: answers not a list", SYNC, item(answers="x")),
    ("item: answer wrong", SYNC, item(answers=[{"question": ""}, 5, {"question": "x" * 65, "value": None}])),
    ("item: too many answers", SYNC, item(answers=[{"question": "wonen", "value": 4}] * 101)),
    ("item: voice refs wrong", SYNC, item(voice_notes=[{"id": "x", "question": 1}, "y"])),
    ("item: short receipt, null source", SYNC, item(receipt="abc", source="")),
    ("item: unknown field, null language", SYNC, {"responses": [{**VALID_ITEM, "language": None, "gps": 1}]}),
    ("item: NUL", SYNC, item(language="n\u0000l")),
    ("voice: nothing", VOICE, {}),
    ("voice: wrong types", VOICE, note(id=5, size="1", duration_ms=1.5, sha256=None, question=[])),
    ("voice: out of range", VOICE, note(size=0, duration_ms=-1, sha256="xyz", content_type="ab", source="")),
    ("voice: booleans as numbers", VOICE, note(size=True)),
    ("erasure: short", ERASURE, {"receipt": "abc"}),
    ("erasure: a number", ERASURE, {"receipt": 5}),
    ("erasure: long", ERASURE, {"receipt": "x" * 65}),
]

#: (what, schema, input): bad input for the other schemas (campaign definitions and the workspace's forms).
BAD_INPUTS = [
    ("definition: nothing", "definition", {}),
    ("definition: wrong everywhere", "definition", {
        "languages": "nl", "default_language": "xx", "title": {"nl": "x" * 201, "zz": "a"}, "intro": 5,
        "buurten": ["", "x" * 101], "ask_age_bracket": "maybe", "questions": [
            {"key": "Bad Key", "type": "nope", "text": 5, "choices": [{"key": "a"}, 5], "min": "1",
             "max_length": 0, "required": None, "prompts": {"nl": 5}}]}),
    ("definition: inconsistent", "definition", {
        "languages": ["nl"], "default_language": "en", "title": {"nl": "T"}, "questions": [
            {"key": "q", "type": "single_choice", "text": {"nl": "Q"}, "choices": [{"key": "a", "label": {"nl": "A"}}]},
            {"key": "q", "type": "number", "text": {"nl": "Q"}, "min": 5, "max": 1}]}),
    ("definition: no languages, no questions", "definition", {
        "languages": [], "default_language": "nl", "title": {}, "questions": []}),
    ("definition: too many buurten", "definition", {
        "languages": ["nl"], "default_language": "nl", "title": {}, "questions": [], "buurten": ["b"] * 101}),
    ("team form: nothing", "team_form", {}),
    ("team form: wrong", "team_form", {"slug": "A", "name": "x" * 201, "kind": "bad"}),
    ("user form: wrong", "user_form", {"email": "not-an-email", "role": "king", "teams": ["x"]}),
    ("sign in: nothing", "sign_in", {}),
    ("password change: differ", "password_change", {"current_password": "a", "new_password": "b" * 12,
                                                     "confirm_password": "c" * 12}),
    ("inbox filter: wrong", "inbox_filter", {"received_from": "nope", "language": "x", "tag": "0", "after": "zz",
                                             "state": "x", "source": "many", "buurt": ""}),
    ("inbox filter: dates reversed", "inbox_filter", {"received_from": "2026-10-02", "received_to": "2026-10-01"}),
    ("results query: wrong", "results_query", {"breakdown": "x"}),
    ("retention form: zero", "retention_form", {"days": "0"}),
    ("retention form: words", "retention_form", {"days": "many"}),
    ("new campaign: nothing", "new_campaign", {}),
    ("new campaign: wrong", "new_campaign", {"languages": [], "title": "", "team": "x", "default_language": "xx"}),
    ("question form: wrong", "question_form", {"type": "nope", "key": "Bad Key", "min": "x", "max_length": "0",
                                               "choices": {"0": {"key": "Bad", "pictogram": "nope"}}}),
    ("question form: rows not rows", "question_form", {"type": "number", "choices": {"x": 1}}),
    ("question form: too many rows", "question_form", {"type": "number",
                                                       "choices": {str(n): {} for n in range(41)}}),
    ("make-up form: wrong", "make_up_form", {"unit": {"age": "kg"}, "amount": {"age": {"1": "12.5.5", "2": "1e999",
                                                                                      "x": "1"}}}),
    ("prompt upload: nothing", "prompt_upload", {}),
    ("erasure form: short", "erasure_form", {"receipt": "abc"}),
    ("audit page: bad cursor", "audit_page", {"before": "x"}),
    ("source form: wrong", "source_form", {"name": "", "kind": "poster", "label": "x" * 201}),
]

#: What the API answers each of `BAD_REQUESTS` with, in English: [(field, code, message)].
API_PINS = {
    "enrol: nothing": [
        ("code", "required", "Missing data for required field."),
    ],
    "enrol: not an object": [
        (400, "invalid_json", "The request body is not a JSON object."),
    ],
    "enrol: null code": [
        ("code", "null", "Field may not be null."),
    ],
    "enrol: number as code": [
        ("code", "invalid_string", "Not a valid string."),
    ],
    "enrol: short code": [
        ("code", "length", "Length must be between 4 and 40."),
    ],
    "enrol: long label, unknown field": [
        ("label", "too_long", "Longer than maximum length 200."),
        ("extra", "unknown_field", "Unknown field."),
    ],
    "enrol: NUL": [
        ("code", "invalid_characters", "This text contains a character that cannot be stored."),
    ],
    "sync: nothing": [
        ("responses", "required", "Missing data for required field."),
    ],
    "sync: responses not a list": [
        ("responses", "invalid_list", "Not a valid list."),
    ],
    "sync: device status not an object": [
        ("device_status", "invalid_type", "Invalid input type."),
    ],
    "sync: device status wrong": [
        ("device_status.pending_responses", "out_of_range", "Must be greater than or equal to 0 and less than or equal "
                                                            "to 10000000."),
        ("device_status.pending_bytes", "invalid_integer", "Not a valid integer."),
    ],
    "item: not an object": [
        (None, "invalid_type", "Invalid input type."),
    ],
    "item: empty": [
        ("id", "required", "Missing data for required field."),
        ("campaign_id", "required", "Missing data for required field."),
        ("campaign_version", "required", "Missing data for required field."),
        ("language", "required", "Missing data for required field."),
        ("channel", "required", "Missing data for required field."),
        ("collected_at", "required", "Missing data for required field."),
        ("consent", "required", "Missing data for required field."),
        ("answers", "required", "Missing data for required field."),
    ],
    "item: bad id, version as text": [
        ("id", "invalid_uuid", "Not a valid UUID."),
        ("campaign_version", "invalid_integer", "Not a valid integer."),
    ],
    "item: version 0, short language, unknown channel": [
        ("campaign_version", "out_of_range", "Must be greater than or equal to 1 and less than or equal to 100000."),
        ("language", "length", "Length must be between 2 and 16."),
        ("channel", "not_one_of", "Must be one of: door_to_door, flyer."),
    ],
    "item: version a float": [
        ("campaign_version", "invalid_integer", "Not a valid integer."),
    ],
    "item: time not a time": [
        ("collected_at", "invalid_datetime", "Not a valid datetime."),
    ],
    "item: time out of range": [
        ("collected_at", "out_of_range", "Must be greater than or equal to 1900-01-01 00:00:00+00:00 and less than or "
                                         "equal to 2999-12-31 23:59:59.999999+00:00."),
    ],
    "item: time a number": [
        ("collected_at", "invalid_datetime", "Not a valid datetime."),
    ],
    "item: consent wrong": [
        ("consent.audio", "required", "Missing data for required field."),
    ],
    "item: consent not an object": [
        ("consent", "invalid_type", "Invalid input type."),
    ],
    "item: meta wrong": [
        ("meta.buurt", "length", "Length must be between 1 and 100."),
        # the age bracket is checked against the campaign's own brackets once the item is well formed
        # (`unknown_age_bracket`, issue 11), no longer against a fixed list in the schema
        ("meta.x", "unknown_field", "Unknown field."),
    ],
    "item: meta not an object": [
        ("meta", "invalid_type", "Invalid input type."),
    ],
    "item: answers not a list": [
        ("answers", "invalid_list", "Not a valid list."),
    ],
    "item: answer wrong": [
        ("answers.0.question", "length", "Length must be between 1 and 64."),
        ("answers.0.value", "required", "Missing data for required field."),
        ("answers.1", "invalid_type", "Invalid input type."),
        ("answers.2.question", "length", "Length must be between 1 and 64."),
        ("answers.2.value", "null", "Field may not be null."),
    ],
    "item: too many answers": [
        ("answers", "too_long", "Longer than maximum length 100."),
    ],
    "item: voice refs wrong": [
        ("voice_notes.0.id", "invalid_uuid", "Not a valid UUID."),
        ("voice_notes.0.question", "invalid_string", "Not a valid string."),
        ("voice_notes.1", "invalid_type", "Invalid input type."),
    ],
    "item: short receipt, null source": [
        ("source", "length", "Length must be between 1 and 16."),
        ("receipt", "length", "Length must be between 6 and 64."),
    ],
    "item: unknown field, null language": [
        ("language", "null", "Field may not be null."),
        ("gps", "unknown_field", "Unknown field."),
    ],
    "item: NUL": [
        ("language", "invalid_characters", "This text contains a character that cannot be stored."),
    ],
    "voice: nothing": [
        ("id", "required", "Missing data for required field."),
        ("response_id", "required", "Missing data for required field."),
        ("question", "required", "Missing data for required field."),
        ("size", "required", "Missing data for required field."),
        ("content_type", "required", "Missing data for required field."),
        ("sha256", "required", "Missing data for required field."),
    ],
    "voice: wrong types": [
        ("id", "invalid_uuid", "Not a valid UUID."),
        ("question", "invalid_string", "Not a valid string."),
        ("size", "invalid_integer", "Not a valid integer."),
        ("sha256", "null", "Field may not be null."),
        ("duration_ms", "invalid_integer", "Not a valid integer."),
    ],
    "voice: out of range": [
        ("size", "out_of_range", "Must be greater than or equal to 1 and less than or equal to 2147483647."),
        ("content_type", "length", "Length must be between 3 and 100."),
        ("sha256", "invalid_format", "String does not match expected pattern."),
        ("duration_ms", "out_of_range", "Must be greater than or equal to 0 and less than or equal to 86400000."),
        ("source", "length", "Length must be between 1 and 16."),
    ],
    "voice: booleans as numbers": [
        ("size", "invalid_integer", "Not a valid integer."),
    ],
    "erasure: short": [
        ("receipt", "length", "Length must be between 6 and 64."),
    ],
    "erasure: a number": [
        ("receipt", "invalid_string", "Not a valid string."),
    ],
    "erasure: long": [
        ("receipt", "length", "Length must be between 6 and 64."),
    ],
}

#: What `flatten_errors` makes of each of `BAD_INPUTS`, in English.
SCHEMA_PINS = {
    "definition: nothing": [
        ("languages", "required", "Missing data for required field."),
        ("default_language", "required", "Missing data for required field."),
        ("title", "required", "Missing data for required field."),
        ("questions", "required", "Missing data for required field."),
    ],
    "definition: wrong everywhere": [
        ("languages", "invalid_list", "Not a valid list."),
        ("default_language", "not_one_of", "Must be one of: nl, en, tr, ar, rif, pl, uk, so, ti, pap, srn, fy."),
        ("title.zz.key", "not_one_of", "Must be one of: nl, en, tr, ar, rif, pl, uk, so, ti, pap, srn, fy."),
        ("title.nl.value", "too_long", "Longer than maximum length 200."),
        ("intro", "invalid_object", "Not a valid mapping type."),
        ("buurten.0", "length", "Length must be between 1 and 100."),
        ("buurten.1", "length", "Length must be between 1 and 100."),
        ("ask_age_bracket", "invalid_boolean", "Not a valid boolean."),
        ("questions.0.key", "invalid_format", "String does not match expected pattern."),
        ("questions.0.type", "not_one_of", "Must be one of: single_choice, multiple_choice, smiley, yes_no, number, "
                                           "short_text, voice."),
        ("questions.0.text", "invalid_object", "Not a valid mapping type."),
        ("questions.0.required", "null", "Field may not be null."),
        ("questions.0.choices.0.label", "required", "Missing data for required field."),
        ("questions.0.choices.1", "invalid_type", "Invalid input type."),
        ("questions.0.min", "invalid_integer", "Not a valid integer."),
        ("questions.0.max_length", "out_of_range", "Must be greater than or equal to 1 and less than or equal to "
                                                   "2000."),
        ("questions.0.prompts.nl.value", "invalid_string", "Not a valid string."),
    ],
    "definition: inconsistent": [
        ("questions.0.choices", "too_few_choices", "Give at least two choices."),
        ("questions.1.min", "invalid_range", "The minimum is above the maximum."),
    ],
    "definition: no languages, no questions": [
        ("languages", "length", "Length must be between 1 and 12."),
        ("questions", "length", "Length must be between 1 and 60."),
    ],
    "definition: too many buurten": [
        ("buurten", "too_long", "Longer than maximum length 100."),
        ("questions", "length", "Length must be between 1 and 60."),
    ],
    "team form: nothing": [
        ("slug", "required", "Please fill this in."),
        ("name", "required", "Please fill this in."),
        ("kind", "required", "Please fill this in."),
    ],
    "team form: wrong": [
        ("slug", "invalid_format",
         "Use 2 to 64 lower-case letters, digits and dashes, starting with a letter or digit."),
        ("name", "too_long", "Use at most 200 characters."),
        ("kind", "not_one_of", "Must be one of: municipal, initiative."),
    ],
    "user form: wrong": [
        ("email", "invalid_email", "Not a valid email address."),
        ("role", "not_one_of", "Must be one of: admin, coordinator, field_worker."),
        ("teams.0", "invalid_integer", "Not a valid integer."),
        ("password", "required", "Please fill this in."),
    ],
    "sign in: nothing": [
        ("email", "required", "Please fill this in."),
        ("password", "required", "Please fill this in."),
    ],
    "password change: differ": [
        ("confirm_password", "mismatch", "The two passwords differ."),
    ],
    "inbox filter: wrong": [
        ("language", "length", "Length must be between 2 and 16."),
        ("source", "invalid_integer", "Not a valid integer."),
        ("buurt", "length", "Length must be between 1 and 100."),
        ("received_from", "invalid_date", "Not a valid date."),
        ("state", "not_one_of", "Must be one of: visible, all, new, reviewed, flagged, hidden."),
        ("tag", "out_of_range", "Must be greater than or equal to 1 and less than or equal to 2147483647."),
        ("after", "invalid_cursor", "This page link is not valid."),
    ],
    "inbox filter: dates reversed": [
        ("received_to", "date_order", "The first date must not be after the last."),
    ],
    "results query: wrong": [
        ("breakdown", "not_one_of", "Choose one of the breakdowns in the list."),
    ],
    "retention form: zero": [
        ("days", "out_of_range", "Must be greater than or equal to 1 and less than or equal to 3650."),
    ],
    "retention form: words": [
        ("days", "invalid_integer", "Not a valid integer."),
    ],
    "new campaign: nothing": [
        ("team", "required", "Please fill this in."),
        ("title", "required", "Please fill this in."),
        ("default_language", "required", "Please fill this in."),
    ],
    "new campaign: wrong": [
        ("team", "invalid_integer", "Not a valid integer."),
        ("title", "too_short", "Use at least 1 character."),
        ("default_language", "not_one_of", "Must be one of: nl, en, tr, ar, rif, pl, uk, so, ti, pap, srn, fy."),
    ],
    "question form: wrong": [
        ("type", "not_one_of", "Must be one of: single_choice, multiple_choice, smiley, yes_no, number, short_text, "
                               "voice."),
        ("key", "invalid_format",
         "Use lower-case letters, digits, - and _ (at most 64), starting with a letter or digit."),
        ("min", "invalid_integer", "Not a valid integer."),
        ("max_length", "out_of_range", "Must be greater than or equal to 1 and less than or equal to 2000."),
        ("choices.0.key", "invalid_format",
         "Use lower-case letters, digits, - and _ (at most 64), starting with a letter or digit."),
        ("choices.0.pictogram", "not_one_of", "Choose one of the pictograms shown."),
    ],
    "question form: rows not rows": [
        ("choices", "invalid_type", "Invalid input type."),
    ],
    "question form: too many rows": [
        ("choices", "too_many_rows", "At most 40 rows."),
    ],
    "make-up form: wrong": [
        ("unit.age.value", "not_one_of", "Must be one of: percent, count."),
        ("amount.age.value.x.key", "invalid_format", "String does not match expected pattern."),
        ("amount.age.value.1.value", "invalid_number", "Enter a number, for example 12,5 (without thousands "
                                                       "separators)."),
        ("amount.age.value.2.value", "invalid_number", "Enter a number, for example 12,5 (without thousands "
                                                       "separators)."),
    ],
    "prompt upload: nothing": [
        ("file", "required", "Choose or record a sound file first."),
    ],
    "erasure form: short": [
        ("receipt", "too_short", "Use at least 6 characters."),
    ],
    "audit page: bad cursor": [
        ("before", "invalid_cursor", "This page link is not valid."),
    ],
    "source form: wrong": [
        ("name", "too_short", "Use at least 1 character."),
        ("kind", "not_one_of", "Must be one of: flyer, door_to_door."),
        ("label", "unknown_field", "Unknown field."),
    ],
}

#: The Dutch of every message above (the catalogs keep translating marshmallow's and Wijkstem's wording).
DUTCH = {
    "At most 40 rows.": "Hoogstens 40 regels.",
    "Choose one of the breakdowns in the list.": "Kies een van de verdelingen uit de lijst.",
    "Choose one of the pictograms shown.": "Kies een van de getoonde pictogrammen.",
    "Choose or record a sound file first.": "Kies of neem eerst een geluidsbestand op.",
    "Enter a number, for example 12,5 (without thousands separators).":
        "Vul een getal in, bijvoorbeeld 12,5 (zonder punten voor duizendtallen).",
    "Field may not be null.": "Dit veld mag niet leeg zijn.",
    "Give at least two choices.": "Geef minstens twee keuzes.",
    "Invalid input type.": "Ongeldig soort invoer.",
    "Length must be between 1 and 100.": "De lengte moet tussen 1 en 100 liggen.",
    "Length must be between 1 and 12.": "De lengte moet tussen 1 en 12 liggen.",
    "Length must be between 1 and 16.": "De lengte moet tussen 1 en 16 liggen.",
    "Length must be between 1 and 60.": "De lengte moet tussen 1 en 60 liggen.",
    "Length must be between 1 and 64.": "De lengte moet tussen 1 en 64 liggen.",
    "Length must be between 2 and 16.": "De lengte moet tussen 2 en 16 liggen.",
    "Length must be between 3 and 100.": "De lengte moet tussen 3 en 100 liggen.",
    "Length must be between 4 and 40.": "De lengte moet tussen 4 en 40 liggen.",
    "Length must be between 6 and 64.": "De lengte moet tussen 6 en 64 liggen.",
    "Longer than maximum length 100.": "Langer dan de maximale lengte 100.",
    "Longer than maximum length 200.": "Langer dan de maximale lengte 200.",
    "Missing data for required field.": "Dit veld is verplicht.",
    "Must be greater than or equal to 0 and less than or equal to 10000000.":
        "Moet minstens 0 en hoogstens 10000000 zijn.",
    "Must be greater than or equal to 0 and less than or equal to 86400000.":
        "Moet minstens 0 en hoogstens 86400000 zijn.",
    "Must be greater than or equal to 1 and less than or equal to 100000.": "Moet minstens 1 en hoogstens 100000 zijn.",
    "Must be greater than or equal to 1 and less than or equal to 2000.": "Moet minstens 1 en hoogstens 2000 zijn.",
    "Must be greater than or equal to 1 and less than or equal to 2147483647.":
        "Moet minstens 1 en hoogstens 2147483647 zijn.",
    "Must be greater than or equal to 1 and less than or equal to 3650.": "Moet minstens 1 en hoogstens 3650 zijn.",
    ("Must be greater than or equal to 1900-01-01 00:00:00+00:00 and less than or equal to "
     "2999-12-31 23:59:59.999999+00:00."):
        "Moet minstens 1900-01-01 00:00:00+00:00 en hoogstens 2999-12-31 23:59:59.999999+00:00 zijn.",
    "Must be one of: 0-17, 18-26, 27-40, 41-65, 66-79, 80+.":
        "Moet een van deze zijn: 0-17, 18-26, 27-40, 41-65, 66-79, 80+.",
    "Must be one of: admin, coordinator, field_worker.": "Moet een van deze zijn: admin, coordinator, field_worker.",
    "Must be one of: door_to_door, flyer.": "Moet een van deze zijn: door_to_door, flyer.",
    "Must be one of: flyer, door_to_door.": "Moet een van deze zijn: flyer, door_to_door.",
    "Must be one of: municipal, initiative.": "Moet een van deze zijn: municipal, initiative.",
    "Must be one of: nl, en, tr, ar, rif, pl, uk, so, ti, pap, srn, fy.":
        "Moet een van deze zijn: nl, en, tr, ar, rif, pl, uk, so, ti, pap, srn, fy.",
    "Must be one of: percent, count.": "Moet een van deze zijn: percent, count.",
    "Must be one of: single_choice, multiple_choice, smiley, yes_no, number, short_text, voice.":
        "Moet een van deze zijn: single_choice, multiple_choice, smiley, yes_no, number, short_text, voice.",
    "Must be one of: visible, all, new, reviewed, flagged, hidden.":
        "Moet een van deze zijn: visible, all, new, reviewed, flagged, hidden.",
    "Not a valid UUID.": "Geen geldige UUID.",
    "Not a valid boolean.": "Geen geldige ja/nee-waarde.",
    "Not a valid date.": "Geen geldige datum.",
    "Not a valid datetime.": "Geen geldige datum en tijd.",
    "Not a valid email address.": "Geen geldig e-mailadres.",
    "Not a valid integer.": "Geen geldig geheel getal.",
    "Not a valid list.": "Geen geldige lijst.",
    "Not a valid mapping type.": "Geen geldig object.",
    "Not a valid string.": "Geen geldige tekst.",
    "Please fill this in.": "Vul dit veld in.",
    "String does not match expected pattern.": "De tekst heeft niet de verwachte vorm.",
    "The first date must not be after the last.": "De eerste datum mag niet na de laatste liggen.",
    "The minimum is above the maximum.": "Het minimum ligt boven het maximum.",
    "The request body is not a JSON object.": "De inhoud van het verzoek is geen JSON-object.",
    "The two passwords differ.": "De twee wachtwoorden verschillen.",
    "This page link is not valid.": "Deze paginalink klopt niet.",
    "This text contains a character that cannot be stored.":
        "Deze tekst bevat een teken dat niet kan worden opgeslagen.",
    "Unknown field.": "Onbekend veld.",
    "Use 2 to 64 lower-case letters, digits and dashes, starting with a letter or digit.":
        "Gebruik 2 tot 64 kleine letters, cijfers en streepjes, en begin met een letter of cijfer.",
    "Use at least 1 character.": "Gebruik minstens 1 teken.",
    "Use at least 6 characters.": "Gebruik minstens 6 tekens.",
    "Use at most 200 characters.": "Gebruik hoogstens 200 tekens.",
    "Use lower-case letters, digits, - and _ (at most 64), starting with a letter or digit.":
        "Gebruik kleine letters, cijfers, - en _ (hoogstens 64), en begin met een letter of cijfer.",
}


#: Each language's requests come from an address of their own: the erasure endpoint allows five tries a minute.
CALLERS = {"en": "127.0.0.2", "nl": "127.0.0.3"}


def error_details(client, headers, path, body, lang) -> dict:
    """(field, code, message) of each error the API answers `body` with, in `lang`."""
    reply = client.post(f"{path}?lang={lang}", data=json.dumps(body), content_type="application/json",
                        headers=headers, environ_base={"REMOTE_ADDR": CALLERS[lang]})
    if path == SYNC and reply.status_code == 200:
        errors = reply.json["results"][0]["errors"]
    elif reply.status_code == 422:
        errors = reply.json["error"]["details"]
    else:  # refused before any schema
        errors = [{"field": reply.status_code, **reply.json["error"]}]
    return [(error["field"], error["code"], error["message"]) for error in errors]


def in_dutch(pins: dict) -> dict:
    return {what: [(field, code, DUTCH[message]) for field, code, message in errors]
            for what, errors in pins.items()}


def schemas() -> dict:
    from server.accounts.schemas import password_change_schema, sign_in_schema, team_form_schema, user_form_schema
    from server.campaigns.schemas import definition_schema
    from server.privacy.schemas import audit_page_schema, erasure_form_schema, retention_form_schema
    from server.reach.schemas import make_up_form_schema
    from server.results.schemas import results_query_schema
    from server.review.schemas import inbox_filter_schema
    from server.workspace.schemas import (
        new_campaign_schema,
        prompt_upload_schema,
        question_form_schema,
        source_form_schema,
    )

    return {"definition": definition_schema, "team_form": team_form_schema, "user_form": user_form_schema,
            "sign_in": sign_in_schema, "password_change": password_change_schema,
            "inbox_filter": inbox_filter_schema, "results_query": results_query_schema,
            "retention_form": retention_form_schema, "new_campaign": new_campaign_schema,
            "question_form": question_form_schema(["nl", "en"], ["huis"]), "make_up_form": make_up_form_schema,
            "prompt_upload": prompt_upload_schema(1000), "erasure_form": erasure_form_schema,
            "audit_page": audit_page_schema, "source_form": source_form_schema}


def schema_details(lang: str) -> dict:
    from server.errors import flatten_errors

    found = {}
    with current_app.test_request_context(f"/?lang={lang}"):
        g.pop("_flask_babel", None)  # (the test's app context is shared: forget the last request's locale)
        loaded = schemas()
        for what, name, data in BAD_INPUTS:
            with pytest.raises(ValidationError) as refused:
                loaded[name].load(data)
            found[what] = [(d["field"], d["code"], d["message"]) for d in flatten_errors(refused.value.messages)]
    return found


@pytest.mark.sqlite_only
def test_the_api_refuses_bad_input_with_the_codes_it_always_gave(client, auth):
    """The codes are the API's contract (docs/sync-protocol.md, /api/openapi.json): pinned, whatever the wording."""
    assert {what: error_details(client, auth, path, body, "en") for what, path, body in BAD_REQUESTS} == API_PINS
    assert {what: error_details(client, auth, path, body, "nl") for what, path, body in BAD_REQUESTS} \
        == in_dutch(API_PINS)


@pytest.mark.sqlite_only
def test_definitions_and_forms_are_refused_with_the_codes_and_messages_they_always_had(app):
    assert schema_details("en") == SCHEMA_PINS
    assert schema_details("nl") == in_dutch(SCHEMA_PINS)


# --- every error declares its code ---------------------------------------------------------------------

#: Schemas that never read a request: the server's own files.
NOT_FOR_REQUESTS = {"server.languages.LanguageSchema"}
#: What each field is fed: nothing, nulls, every JSON type, empty, long and malformed text, huge numbers.
PROBES = [missing, None, True, 0, -1, 1.5, 10**30, float("inf"), "", "x", "x" * 20_000, "2026-13-45T25:61:00",
          "2026-10-01", "1e999", [], [1, "a"], {}, {"a": 1, "": None, "nl": "x" * 20_000}]


def server_schemas() -> list:
    """An instance of every schema class defined in `server`, including those the form factories make."""
    for module in pkgutil.walk_packages(server.__path__, "server."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    schemas()  # the factories' classes
    found, stack = [], [marshmallow.Schema]
    while stack:
        cls = stack.pop()
        stack += cls.__subclasses__()
        if cls.__module__.startswith("server.") and f"{cls.__module__}.{cls.__qualname__}" not in NOT_FOR_REQUESTS:
            found.append(cls)
    return found


def reachable_fields(schema, seen=None):
    """Every field of `schema`, and of the lists, dicts, nested schemas and form rows inside them."""
    seen = set() if seen is None else seen
    stack = list(schema.fields.values())
    while stack:
        field = stack.pop()
        if id(field) in seen:
            continue
        seen.add(id(field))
        yield field
        for name in ("inner", "key_field", "value_field", "full"):
            if getattr(field, name, None) is not None:
                stack.append(getattr(field, name))
        nested = getattr(field, "schema", None)
        if isinstance(nested, marshmallow.Schema):
            stack += nested.fields.values()


def messages_of(err: ValidationError):
    stack = [err.messages]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += item.values()
        elif isinstance(item, list):
            stack += item
        else:
            yield item


def test_every_schema_is_a_wijkstem_schema_of_wijkstem_fields_and_validators(app):
    from server.fields import Coded
    from server.forms import TextLength
    from server.validation import Schema

    ours = (validate.Length, validate.Range, validate.OneOf, validate.Regexp, TextLength)
    classes = server_schemas()
    assert len(classes) > 40
    assert [cls for cls in classes if not issubclass(cls, Schema)] == []
    for cls in classes:
        for field in reachable_fields(cls()):
            assert isinstance(field, Coded), f"{cls.__qualname__}: {field!r} is marshmallow's, without codes"
            for validator in field.validators:
                assert isinstance(validator, ours) or isinstance(getattr(validator, "error", None), ValidationCode) \
                    or not isinstance(validator, marshmallow.validate.Validator), \
                    f"{cls.__qualname__}: {validator!r} is marshmallow's, without codes"


def test_every_error_any_schema_can_make_declares_its_code(app):
    """Feed every field of every schema wrong types, nothing, nulls, too long and malformed values: each message
    must be a `ValidationCode` (declared with the check), never left to the `UNDECLARED` fallback."""
    undeclared = set()
    with current_app.test_request_context("/"):
        for cls in server_schemas():
            schema = cls()
            for data in (5, [], {"surely not a field": 1}):
                try:
                    schema.load(data)
                except ValidationError as err:
                    undeclared |= {(cls.__qualname__, str(m)) for m in messages_of(err)
                                   if not isinstance(m, ValidationCode)}
            for field in reachable_fields(schema):
                for value in PROBES:
                    try:
                        field.deserialize(value)
                    except ValidationError as err:
                        undeclared |= {(cls.__qualname__, field.name, str(m)) for m in messages_of(err)
                                       if not isinstance(m, ValidationCode)}
    assert undeclared == set()
