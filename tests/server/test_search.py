"""Searching what residents said: the inbox's `q` filter over answers, transcripts, translations and comments,
on the database's own full-text engine, kept in step with every write (sync, edits, erasure, retention)."""

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from server.extensions import db
from server.privacy.models import AuditEvent
from server.search import operations as search_operations
from server.search.models import SearchDocument
from server.search.operations import (
    PG_CONFIGS,
    Term,
    fts5_query,
    is_word_character,
    marked,
    parse_query,
    tsquery_text,
)
from server.util import utcnow
from server.voice.models import VoiceNote
from tests.factories import response_body

ODD_QUERIES = ['"', '""', "*", "**", "AND", "OR", "NOT", "NEAR(", "NEAR(a b", "bankjes)", "-", "^", ":", "'",
               "\\", "(", "a:b", "{x}", "bank* *", '"open', "😀", "🏳️‍🌈 bankjes", "مقاعد في الحديقة",
               "‏مقاعد‎", "x" * 200, "a'b", "%", "_", "AND OR NOT", "col:bankjes", "\x01bankjes\x02"]


ERASURE = "/api/v1/erasure"


def inbox_ids(reply) -> list[str]:
    return list(dict.fromkeys(re.findall(r"/responses/([0-9a-f-]{36})", reply.get_data(as_text=True))))


def search(reviewer, campaign, q: str, **filters):
    return reviewer.get(f"/workspace/campaigns/{campaign.id}/responses", query_string={"q": q, **filters})


def found(reviewer, campaign, q: str, **filters) -> set[str]:
    reply = search(reviewer, campaign, q, **filters)
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    return set(inbox_ids(reply))


def answer_text(campaign, words: str, **overrides) -> dict:
    """A response whose open question (`idee`) holds `words`."""
    body = response_body(campaign, **overrides)
    body["answers"] = [a if a["question"] != "idee" else {"question": "idee", "value": words}
                       for a in body["answers"]]
    return body


# --- the query: words, never syntax --------------------------------------------------------------------

def test_words_phrases_and_prefixes():
    assert parse_query('bankjes "bij de speeltuin" licht* e-mail') == [
        Term(("bankjes",)), Term(("bij", "de", "speeltuin")), Term(("licht",), prefix=True), Term(("e", "mail"))]
    assert fts5_query(parse_query('bankjes "de tuin" licht*')) == '"bankjes" "de tuin" "licht"*'
    assert tsquery_text(parse_query('bankjes "de tuin" licht*')) == "('bankjes') & ('de' <-> 'tuin') & ('licht':*)"


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_input_is_words_or_nothing(query):
    for term in parse_query(query):
        assert term.words and all(word and all(map(is_word_character, word)) for word in term.words)


def test_marked_snippets_are_escaped_and_balanced():
    assert marked("a <b>\x01bank\x02 & \x01c") == "a &lt;b&gt;<mark>bank</mark> &amp; <mark>c</mark>"
    assert marked("\x02\x01\x01x\x02\x02<script>") == "<mark>x</mark>&lt;script&gt;"


# --- results -------------------------------------------------------------------------------------------

@pytest.fixture
def said(reviewer, campaign, sync, without_playback_copies, voiced_response):
    """Responses with words in each kind of text: {name: response id} (nothing here plays the recording)."""
    lamp, dog, arabic = sync(answer_text(campaign, "De straatlantaarn bij het plein is kapot"),
                             answer_text(campaign, "Hondenpoep op de stoep <script>alert(1)</script>",
                                         language="tr"),
                             answer_text(campaign, "نريد مقاعد أكثر في الحديقة", language="ar"))
    voiced, note_id = voiced_response
    base = f"/workspace/campaigns/{campaign.id}"
    assert reviewer.post(f"{base}/voice-notes/{note_id}/transcript",
                         {"transcript": "Parkta daha fazla bank istiyoruz",
                          "translation": "Meer zitbanken in het Wilhelminapark"}).status_code == 303
    assert reviewer.post(f"{base}/responses/{dog}/comments", {"body": "Doorsturen naar de gemeente"}).status_code == 303
    given = db.session.scalar(select(SearchDocument.ref).where(SearchDocument.response_id == lamp,
                                                                SearchDocument.kind == "answer"))
    assert reviewer.post(f"{base}/responses/{lamp}/answers/{given}/translation",
                         {"translation": "The streetlight by the square is broken"}).status_code == 303
    return {"lamp": str(lamp), "dog": str(dog), "arabic": str(arabic), "voiced": str(voiced), "note": str(note_id),
            "lamp_answer": given}


@pytest.mark.parametrize(("query", "expected"), [
    ("straatlantaarn", {"lamp"}),                   # a typed answer
    ("STRAATLANTAARN kapot", {"lamp"}),             # every word, any case
    ("streetlight", {"lamp"}),                      # the answer's translation
    ("istiyoruz", {"voiced"}),                      # a transcript
    ("Wilhelminapark", {"voiced"}),                 # the transcript's translation
    ("gemeente", {"dog"}),                          # a comment
    ("مقاعد", {"arabic"}),                          # Arabic, right to left
    ('"het plein"', {"lamp"}), ('"kapot plein"', set()),  # a phrase keeps its order
    ("straatlant*", {"lamp"}), ("straatlant", set()),   # a prefix only with its star
    ("kapot gemeente", set()),                      # every word in one response's text
    ("stoep", {"dog"}),                             # beside markup (shown escaped)
])
def test_search_finds_each_kind_of_text(reviewer, campaign, said, query, expected, backend):
    assert found(reviewer, campaign, query) == {said[name] for name in expected}


def test_matching_response_ids_lists_every_campaigns_matches(said, backend):
    assert {str(i) for i in db.session.scalars(search_operations.matching_response_ids("kapot OR stoep"))} == set()
    assert {str(i) for i in db.session.scalars(search_operations.matching_response_ids("kapot"))} == {said["lamp"]}
    assert list(db.session.scalars(search_operations.matching_response_ids("  ?! "))) == []


def test_results_show_the_words_in_context_marked_and_link_to_the_answer(reviewer, campaign, said, backend):
    page = search(reviewer, campaign, "hondenpoep").get_data(as_text=True)
    assert "<mark>Hondenpoep</mark>" in page
    assert "<script>alert" not in page
    if backend == "sqlite":  # PostgreSQL's parser leaves tags out of its snippets
        assert "&lt;script&gt;" in page
    lamp = search(reviewer, campaign, "kapot").get_data(as_text=True)
    link = re.search(rf'href="([^"]*/responses/{said["lamp"]}[^"]*#answer-{said["lamp_answer"]})"', lamp)
    assert link is not None and "q=kapot" in link.group(1)
    opened = reviewer.get(link.group(1).replace("&amp;", "&").split("#")[0]).get_data(as_text=True)
    assert f'id="answer-{said["lamp_answer"]}"' in opened
    voiced = search(reviewer, campaign, "istiyoruz").get_data(as_text=True)
    assert f'#note-{said["note"]}"' in voiced and "<mark>istiyoruz</mark>" in voiced


def test_search_combines_with_the_other_filters(reviewer, campaign, said, sync, backend):
    (other,) = sync(answer_text(campaign, "Een kapotte bank en een kapot hek", language="tr"))
    assert found(reviewer, campaign, "kapot") == {said["lamp"], str(other)}
    assert found(reviewer, campaign, "kapot", language="tr") == {str(other)}
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{other}/state", {"state": "hidden"})
    assert found(reviewer, campaign, "kapot") == {said["lamp"]}
    assert found(reviewer, campaign, "kapot", state="all") == {said["lamp"], str(other)}


def test_a_common_word_walks_the_inbox_and_finds_the_same(monkeypatch, reviewer, campaign, said, sync, backend):
    """Above `FEW_MATCHES` texts, SQLite walks the newest responses and tests each against the index's list
    (rather than naming the responses): the same responses, the same words in context."""
    queries = ["kapot", "straatlant*", '"het plein"', "gemeente", "مقاعد", "Wilhelminapark", "kapot gemeente", "😀"]
    named = {query: (found(reviewer, campaign, query), search(reviewer, campaign, query).get_data(as_text=True))
             for query in queries}
    monkeypatch.setattr(search_operations, "FEW_MATCHES", 0)
    for query in queries:
        assert found(reviewer, campaign, query) == named[query][0], query
        assert marks(search(reviewer, campaign, query)) == marks_in(named[query][1]), query
    assert found(reviewer, campaign, "kapot", language="tr") == set()


def marks(reply) -> list[str]:
    return marks_in(reply.get_data(as_text=True))


def marks_in(page: str) -> list[str]:
    return re.findall(r"<mark>([^<]*)</mark>", page)


@pytest.mark.parametrize("few", [2_000, 0])
def test_search_pages_cover_every_match_once(monkeypatch, app, reviewer, campaign, sync, few, backend):
    monkeypatch.setattr(search_operations, "FEW_MATCHES", few)
    app.config["INBOX_PAGE_SIZE"] = 2
    matching = {str(i) for i in sync(*[answer_text(campaign, f"lantaarn nummer {n}") for n in range(5)])}
    sync(*[answer_text(campaign, "iets anders") for _ in range(3)])
    seen, url = [], f"/workspace/campaigns/{campaign.id}/responses?q=lantaarn"
    while url:
        reply = reviewer.get(url)
        seen += inbox_ids(reply)
        older = re.search(r'rel="next" href="([^"]+)"', reply.get_data(as_text=True))
        url = older.group(1).replace("&amp;", "&") if older else None
    assert len(seen) == 5 and set(seen) == matching


def test_exports_hold_what_the_search_found(reviewer, campaign, said, backend):
    from tests.server.test_exports import csv_rows, export  # reason: the exports' own helpers

    reply, data = export(reviewer, campaign, "csv", q="kapot OR gemeente")
    assert reply.status_code == 200 and [row["response_id"] for row in csv_rows(data)] == []
    _reply, data = export(reviewer, campaign, "csv", q="stoep")
    assert [row["response_id"] for row in csv_rows(data)] == [said["dog"]]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_queries_never_fail(reviewer, campaign, said, query, backend):
    reply = search(reviewer, campaign, query)
    assert reply.status_code == 200


def test_too_long_a_query_is_named(reviewer, campaign, backend):
    reply = search(reviewer, campaign, "x" * 201)
    assert reply.status_code == 422 and "error-summary" in reply.get_data(as_text=True)


def test_searching_is_not_audited(reviewer, campaign, said, backend):
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    found(reviewer, campaign, "kapot")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_other_campaigns_texts_are_not_found(reviewer, campaign, said, backend):
    other = uuid.uuid4()
    assert reviewer.get(f"/workspace/campaigns/{other}/responses?q=kapot").status_code == 404


# --- the index keeps in step ---------------------------------------------------------------------------

def fts_consistent() -> None:
    """SQLite: the FTS5 index agrees with its content table, row for row."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')"))


def test_edits_replace_what_is_found(reviewer, campaign, said, backend):
    base = f"/workspace/campaigns/{campaign.id}"
    reviewer.post(f"{base}/voice-notes/{said['note']}/transcript", {"transcript": "Sokak lambası yanmıyor",
                                                                    "translation": ""})
    assert found(reviewer, campaign, "istiyoruz") == set() and found(reviewer, campaign, "Wilhelminapark") == set()
    assert found(reviewer, campaign, "lambası") == {said["voiced"]}
    reviewer.post(f"{base}/responses/{said['lamp']}/answers/{said['lamp_answer']}/translation",
                  {"translation": "The lamppost is broken"})
    assert found(reviewer, campaign, "streetlight") == set()
    assert found(reviewer, campaign, "lamppost") == {said["lamp"]}
    reviewer.post(f"{base}/responses/{said['lamp']}/answers/{said['lamp_answer']}/translation", {"translation": ""})
    assert found(reviewer, campaign, "lamppost") == set()
    fts_consistent()


def test_erased_answers_are_never_found_again(client, reviewer, campaign, sync, backend):
    (mine,) = sync(answer_text(campaign, "Mijn geheime klacht over de buren", receipt="ZX8K4M2PQR"))
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{mine}/comments", {"body": "Geheime notitie"})
    assert found(reviewer, campaign, "geheime") == {str(mine)}
    assert client.post(ERASURE, json={"receipt": "ZX8K4M2PQR"}).json == {"erased": 1}
    assert found(reviewer, campaign, "geheime", state="all") == set()
    assert db.session.scalar(select(func.count()).select_from(SearchDocument)
                             .where(SearchDocument.response_id == mine)) == 0
    fts_consistent()
    if db.engine.dialect.name == "sqlite":  # the words are gone from the index itself, not only hidden
        assert db.session.scalar(text("SELECT count(*) FROM search_fts WHERE search_fts MATCH 'geheime'")) == 0


def test_retention_keeps_the_transcript_searchable(runner, reviewer, campaign, said, backend):
    campaign.voice_retention_days = 30
    db.session.commit()
    db.session.execute(update(VoiceNote).where(VoiceNote.id == uuid.UUID(said["note"]))
                       .values(created_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    assert "voice notes deleted: 1" in runner.invoke(args=["retention"]).output
    assert found(reviewer, campaign, "istiyoruz") == {said["voiced"]}


def test_deleted_voice_notes_leave_the_index(reviewer, campaign, said, backend):
    from server.voice.operations import delete_voice_notes  # reason: only this test deletes notes directly

    delete_voice_notes([db.session.get(VoiceNote, uuid.UUID(said["note"]))])
    db.session.commit()
    assert found(reviewer, campaign, "istiyoruz") == set()
    fts_consistent()


def test_every_stored_text_is_indexed_once(said, backend):
    kinds = dict(db.session.execute(select(SearchDocument.kind, func.count()).group_by(SearchDocument.kind)).all())
    # the voiced response's own `idee` answer and the three synced ones
    assert kinds == {"answer": 4, "answer_translation": 1, "transcript": 1, "note_translation": 1, "comment": 1}
    fts_consistent()


def test_postgresql_finds_words_by_their_stems(reviewer, campaign, said, backend):
    if backend != "postgresql":
        pytest.skip("SQLite's index holds words as written (a prefix finds more: `straatlantaarn*`)")
    assert found(reviewer, campaign, "straatlantaarns") == {said["lamp"]}      # Dutch
    assert found(reviewer, campaign, "parklar") == {said["voiced"]}            # Turkish: "Parkta"
    assert found(reviewer, campaign, "حديقة") == {said["arabic"]}              # Arabic: "الحديقة"


def test_postgresql_configurations_agree_with_the_migration(app, backend):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's text-search configurations")
    for code, config in {**PG_CONFIGS, "pl": "simple", "rif": "simple"}.items():
        assert db.session.scalar(text("SELECT wijkstem_search_config(:c)::text"), {"c": code}) == config
    assert db.session.scalar(text("SELECT wijkstem_search_config(NULL)::text")) == "simple"
