"""Campaign downloads (ETag, per-team access), the public flyer lookup and the recorded prompts."""

import re
import uuid
from pathlib import Path

import pytest

from server.campaigns.operations import add_prompt, close_campaign, create_source, publish_campaign, revoke_source
from server.errors import ApiError
from server.extensions import db
from server.paths import PWA_DIR
from tests.factories import make_campaign, make_team, wav_bytes

CAMPAIGNS = "/api/v1/campaigns"


def error_code(reply) -> str:
    return reply.json["error"]["code"]


def test_device_lists_its_teams_published_campaigns_with_every_translation(client, auth, campaign):
    reply = client.get(CAMPAIGNS, headers=auth)
    assert reply.status_code == 200
    [document] = reply.json["campaigns"]
    assert document["id"] == str(campaign.id) and document["version"] == 1
    assert document["languages"] == ["nl", "en", "tr", "ar"]
    assert set(document["title"]) == {"nl", "en", "tr", "ar"}
    assert {q["type"] for q in document["questions"]} == {
        "smiley", "single_choice", "multiple_choice", "yes_no", "number", "short_text", "voice"}
    choice = document["questions"][1]["choices"][0]
    assert set(choice["label"]) == {"nl", "en", "tr", "ar"}
    assert choice["pictogram_url"] == "/app/pictograms/tree.svg"
    assert document["buurten"] == ["Noord", "Zuid", "Centrum"]
    assert "18-26" in document["age_brackets"]
    assert reply.headers["ETag"]


def test_drafts_and_other_teams_campaigns_are_not_listed(client, auth, team, campaign):
    make_campaign(team, publish=False)
    make_campaign(make_team())
    db.session.commit()
    documents = client.get(CAMPAIGNS, headers=auth).json["campaigns"]
    assert [d["id"] for d in documents] == [str(campaign.id)]


def test_unchanged_campaign_list_costs_a_304(client, auth, campaign):
    first = client.get(CAMPAIGNS, headers=auth)
    again = client.get(CAMPAIGNS, headers={**auth, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_new_version_changes_the_etag(client, auth, campaign):
    first = client.get(CAMPAIGNS, headers=auth)
    campaign.definition = {**campaign.definition, "buurten": ["Noord", "Zuid", "Centrum", "West"]}
    publish_campaign(campaign)
    db.session.commit()
    again = client.get(CAMPAIGNS, headers={**auth, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert again.json["campaigns"][0]["version"] == 2
    assert "West" in again.json["campaigns"][0]["buurten"]


def test_one_campaign_with_etag(client, auth, campaign):
    reply = client.get(f"{CAMPAIGNS}/{campaign.id}", headers=auth)
    assert reply.status_code == 200 and reply.json["id"] == str(campaign.id)
    assert reply.headers["ETag"] == f'"{reply.json["etag"]}"'
    again = client.get(f"{CAMPAIGNS}/{campaign.id}", headers={**auth, "If-None-Match": reply.headers["ETag"]})
    assert again.status_code == 304


def test_closed_campaign_leaves_the_list_but_can_still_be_fetched(client, auth, campaign):
    first = client.get(CAMPAIGNS, headers=auth)
    close_campaign(campaign)
    db.session.commit()
    listed = client.get(CAMPAIGNS, headers={**auth, "If-None-Match": first.headers["ETag"]})
    assert listed.status_code == 200 and listed.json["campaigns"] == []
    one = client.get(f"{CAMPAIGNS}/{campaign.id}", headers=auth)
    assert one.status_code == 200 and one.json["state"] == "closed"


def test_other_teams_campaign_is_not_found(client, auth, campaign):
    foreign = make_campaign(make_team())
    db.session.commit()
    reply = client.get(f"{CAMPAIGNS}/{foreign.id}", headers=auth)
    assert reply.status_code == 404 and error_code(reply) == "campaign_not_found"


def test_unknown_and_unpublished_campaigns_are_not_found(client, auth, team):
    draft = make_campaign(team, publish=False)
    db.session.commit()
    for campaign_id in (uuid.uuid4(), draft.id):
        reply = client.get(f"{CAMPAIGNS}/{campaign_id}", headers=auth)
        assert reply.status_code == 404 and error_code(reply) == "campaign_not_found"
    # an id that is no UUID is as unknown as any other, as documented (issue 11: it was `not_found`)
    assert error_code(client.get(f"{CAMPAIGNS}/not-a-uuid", headers=auth)) == "campaign_not_found"


@pytest.mark.parametrize("path", [CAMPAIGNS, f"{CAMPAIGNS}/0b3f6c1e-5d2a-4c8e-9f7a-2e4d6b8a1c3f"])
def test_campaigns_need_a_device(client, campaign, path):
    reply = client.get(path)
    assert reply.status_code == 401 and error_code(reply) == "token_required"


def test_flyer_code_leads_to_its_campaign_without_a_token(client, campaign, flyer):
    reply = client.get(f"/api/v1/sources/{flyer.code}")
    assert reply.status_code == 200
    assert reply.json["source"] == {"code": flyer.code, "name": flyer.name, "kind": "flyer"}
    assert reply.json["campaign"]["id"] == str(campaign.id)
    again = client.get(f"/api/v1/sources/{flyer.code}", headers={"If-None-Match": reply.headers["ETag"]})
    assert again.status_code == 304


def test_flyer_code_may_be_typed_loosely(client, flyer):
    typed = f"{flyer.code[:3].lower()}-{flyer.code[3:].lower()}"
    assert client.get(f"/api/v1/sources/{typed}").status_code == 200


def test_unknown_flyer_code_is_not_found(client, campaign):
    reply = client.get("/api/v1/sources/ZZZZZZ")
    assert reply.status_code == 404 and error_code(reply) == "source_not_found"
    assert reply.json["error"]["field"] == "code"


def test_revoked_flyer_is_closed(client, flyer):
    revoke_source(flyer)
    db.session.commit()
    reply = client.get(f"/api/v1/sources/{flyer.code}")
    assert reply.status_code == 410 and error_code(reply) == "source_closed"
    assert reply.json["error"]["message"] == "Deze peiling is gesloten."


def test_flyer_of_a_closed_campaign_is_closed(client, campaign, flyer):
    close_campaign(campaign)
    db.session.commit()
    assert error_code(client.get(f"/api/v1/sources/{flyer.code}")) == "source_closed"


def test_flyer_of_a_never_published_campaign_is_closed(client, team):
    source = create_source(make_campaign(team, publish=False), "Bibliotheek")
    db.session.commit()
    assert client.get(f"/api/v1/sources/{source.code}").status_code == 410


def test_recorded_prompt_downloads_with_its_type_and_content_disposition(client, auth, campaign):
    audio = wav_bytes(0.3)
    prompt = add_prompt(campaign, "wonen", "tr", audio)
    publish_campaign(campaign)
    db.session.commit()
    document = client.get(f"{CAMPAIGNS}/{campaign.id}", headers=auth).json
    url = document["questions"][0]["prompts"]["tr"]
    assert url == f"/api/v1/clips/{prompt.id}" == document["audio"]["tr"]["campaign"]["q:wonen"]["url"]
    reply = client.get(url)
    assert reply.status_code == 200
    assert reply.mimetype == "audio/ogg"
    assert reply.headers["Content-Disposition"] == "inline"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.data.startswith(b"OggS") and len(reply.data) == prompt.size < len(audio)
    reply.close()


def test_prompt_is_stored_under_a_server_made_name_outside_the_web_folders(app, campaign):
    audio = wav_bytes(0.2)
    prompt = add_prompt(campaign, "wonen", "nl", audio)
    db.session.commit()  # the job normalises it once the upload is committed
    assert re.fullmatch(r"clips/\d{4}-\d{2}/[0-9a-f]{32}\.bin", prompt.storage_name)
    stored = Path(app.config["MEDIA_DIR"]) / prompt.storage_name
    assert stored.read_bytes().startswith(b"OggS")
    assert not stored.resolve().is_relative_to(PWA_DIR.resolve())


def test_prompt_that_is_not_audio_is_refused(campaign):
    with pytest.raises(ApiError) as refused:
        add_prompt(campaign, "wonen", "nl", b"<html><script>alert(1)</script></html>")
    assert refused.value.code == "unsupported_audio"


def test_unknown_prompt_is_not_found(client, campaign):
    reply = client.get(f"/api/v1/prompts/{uuid.uuid4()}")
    assert reply.status_code == 404 and error_code(reply) == "not_found"


def test_prompt_whose_file_went_missing_is_not_found(app, client, campaign):
    prompt = add_prompt(campaign, "wonen", "nl", wav_bytes(0.2))
    db.session.commit()
    (Path(app.config["MEDIA_DIR"]) / prompt.storage_name).unlink()
    reply = client.get(f"/api/v1/prompts/{prompt.id}")
    assert reply.status_code == 404 and error_code(reply) == "not_found"
