"""Searching what residents said, with the database's own full-text engine (read only).

A search is one more filter of the review inbox (`server.review.operations.filter_conditions`): the typed
words become a condition on the response id (`search_condition`), so that every page that narrows responses
by the inbox's filters (the inbox, its pages and neighbours, the exports) searches too. The words are never
handed to the engine as query syntax: `parse_query` takes words, "quoted phrases" and a trailing ``*`` for a
prefix, and `fts5_query` / `tsquery_text` write them as quoted strings, so no input can make a syntax error.
"""

import unicodedata
import uuid
from typing import NamedTuple

from markupsafe import Markup, escape
from sqlalchemy import bindparam, column, false, func, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import REGCONFIG

from ..extensions import db
from ..i18n import LANGUAGES
from .models import SearchDocument

#: PostgreSQL's text-search configuration per language code (``simple`` for the others: no stemming, no stop
#: words). Migration 0008 holds a frozen copy for `wijkstem_search_config`, the function that indexes each text.
PG_CONFIGS = {
    "nl": "dutch", "en": "english", "tr": "turkish", "ar": "arabic", "de": "german", "fr": "french",
    "es": "spanish", "pt": "portuguese", "it": "italian", "ru": "russian", "da": "danish", "sv": "swedish",
    "nb": "norwegian", "no": "norwegian", "fi": "finnish", "hu": "hungarian", "ro": "romanian", "el": "greek",
    "id": "indonesian", "hi": "hindi", "ne": "nepali", "ga": "irish", "lt": "lithuanian", "hy": "armenian",
    "eu": "basque", "ca": "catalan", "sr": "serbian", "ta": "tamil", "yi": "yiddish",
}
#: At most this many words and phrases of a query are searched for (the rest are left out).
MAX_TERMS = 12
MAX_WORD_LENGTH = 64
#: Up to this many matching texts, a search names their responses to the database (`search_condition`).
FEW_MATCHES = 2_000
#: Where the database marks a match in a snippet (control characters: no one types them).
START, STOP = "\x01", "\x02"
SNIPPET_WORDS = 16


class Term(NamedTuple):
    """One word or "quoted phrase" of a query: its words in order, and whether the last is a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


def is_word_character(character: str) -> bool:
    """Letters, numbers, marks and private-use characters: the token characters of the FTS5 table
    (``categories 'L* N* Co M*'``); everything else separates words."""
    category = unicodedata.category(character)
    return category[0] in "LNM" or category == "Co"


def words(text: str) -> list[str]:
    """The words of `text`, split as the SQLite index splits them."""
    found, current = [], []
    for character in text:
        if is_word_character(character):
            current.append(character)
        elif current:
            found.append("".join(current))
            current = []
    if current:
        found.append("".join(current))
    return [word[:MAX_WORD_LENGTH] for word in found]


def parse_query(query: str) -> list[Term]:
    """Words (each must occur), "phrases" (these words in this order) and ``word*`` (a word starting so).

    An unclosed quote runs to the end; anything that is not a word (``AND``'s meaning, ``NEAR(``, ``-``,
    emoji) is a separator or a plain word, never syntax.
    """
    terms = []
    for number, part in enumerate(query.split('"')):
        if number % 2:  # inside quotes
            phrase = tuple(words(part))
            if phrase:
                terms.append(Term(phrase))
            continue
        for chunk in part.split():
            found = tuple(words(chunk))
            if found:
                terms.append(Term(found, prefix=chunk.endswith("*")))
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def fts5_query(terms: list[Term]) -> str:
    """An FTS5 query in which every term is a quoted string (words hold no quote: nothing to escape)."""
    return " ".join('"' + " ".join(term.words) + '"' + ("*" if term.prefix else "") for term in terms)


def tsquery_text(terms: list[Term]) -> str:
    """A `to_tsquery` text: quoted words, ``<->`` within a phrase, ``&`` between terms, ``:*`` for a prefix."""
    return " & ".join("(" + " <-> ".join(f"'{word}'" for word in term.words) + (":*" if term.prefix else "") + ")"
                      for term in terms)


def search_configs() -> list[str]:
    """The text-search configurations a query is parsed with: one per language Wijkstem knows that
    PostgreSQL has one for, and ``simple`` (the team's texts; languages without one)."""
    return sorted({PG_CONFIGS[code] for code in LANGUAGES if code in PG_CONFIGS} | {"simple"})


def pg_tsquery(terms: list[Term]):
    """The query as each configuration reads it, or-ed: a Dutch text matches its Dutch stems, a text in a
    language without a configuration its plain words."""
    query_text = tsquery_text(terms)
    parts = [func.to_tsquery(bindparam(None, config, type_=REGCONFIG), bindparam(None, query_text))
             for config in search_configs()]
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.op("||")(part)
    return combined


def matching_response_ids(query: str):
    """A SELECT of the ids of the responses one of whose texts (answers, transcripts, their translations, the
    team's comments) matches `query` (as `parse_query` reads it); a query without a word matches nothing.

    On SQLite through the FTS5 table ``search_fts``, on PostgreSQL through the GIN index on
    ``search_documents.vector``.
    """
    terms = parse_query(query)
    documents = select(SearchDocument.response_id)
    if not terms:
        return documents.where(false())
    if db.session.get_bind().dialect.name == "postgresql":
        return documents.where(column("vector").op("@@")(pg_tsquery(terms)))
    return documents.where(SearchDocument.id.in_(fts5_rowids(terms)))


def fts5_rowids(terms: list[Term]):
    fts = table("search_fts", column("rowid"))
    return select(fts.c.rowid).where(literal_column("search_fts").op("MATCH")(bindparam(None, fts5_query(terms))))


def search_condition(response_id_column, query: str):
    """The inbox filter: `response_id_column` is the id of a response that `matching_response_ids` finds.

    The database cannot tell how many texts a word is in before it looks, and the best plan depends on it:
    for a rare word, fetch the few responses by id and sort them; for a common one, walk the newest responses
    and keep those among the matches. So on SQLite the index is asked first for up to `FEW_MATCHES` + 1
    matching texts (a millisecond at most): when that is all of them, their responses' ids are the condition
    (the database then looks them up by id); otherwise the condition is the subquery, probed along the
    inbox's own order. PostgreSQL's planner estimates a word's frequency from the GIN index's statistics,
    and chooses on its own.
    """
    subquery = matching_response_ids(query)
    if db.session.get_bind().dialect.name != "postgresql":
        few = db.session.scalars(subquery.limit(FEW_MATCHES + 1)).all()
        if len(few) <= FEW_MATCHES:
            return response_id_column.in_(set(few)) if few else false()
    return response_id_column.in_(subquery)


# --- words in context --------------------------------------------------------------------------------

class Snippet(NamedTuple):
    """A matching text of a response: what it is, where it is on the response page, the words around the
    match with the match marked (safe HTML)."""

    kind: str
    anchor: str
    html: Markup


def snippets(response_ids: list, query: str, per_response: int = 3) -> dict:
    """``{response id: [Snippet, ...]}``: the texts of these responses that match `query`, in the order
    of `TEXT_KINDS` (answers first), each cut to the words around its matches."""
    terms = parse_query(query)
    if not terms or not response_ids:
        return {}
    if db.session.get_bind().dialect.name == "postgresql":
        rows = pg_snippet_rows(response_ids, terms)
    else:
        rows = sqlite_snippet_rows(response_ids, terms)
    order = {kind: number for number, kind in enumerate(("answer", "transcript", "answer_translation",
                                                          "note_translation", "comment"))}
    found: dict = {}
    for response_id, kind, ref, _document_id, fragment in sorted(rows, key=lambda r: (order.get(r[1], 9), r[3])):
        shown = found.setdefault(response_id, [])
        if len(shown) < per_response:
            shown.append(Snippet(kind, anchor(kind, ref), marked(fragment)))
    return found


def sqlite_snippet_rows(response_ids: list, terms: list[Term]) -> list:
    # the only value written into the statement is a constant; the query and the ids travel as parameters
    statement = text(
        "SELECT d.response_id, d.kind, d.ref, d.id, "  # noqa: S608
        f"snippet(search_fts, 0, char(1), char(2), '…', {SNIPPET_WORDS}) "
        "FROM search_fts JOIN search_documents AS d ON d.id = search_fts.rowid "
        "WHERE search_fts MATCH :query AND search_fts.rowid IN "
        "(SELECT id FROM search_documents WHERE response_id IN :ids)"
    ).bindparams(bindparam("ids", expanding=True, type_=SearchDocument.response_id.type),
                 bindparam("query", fts5_query(terms)))
    statement = statement.columns(column("response_id", SearchDocument.response_id.type), column("kind"),
                                  column("ref"), column("id"), column("fragment"))
    return db.session.execute(statement, {"ids": list(response_ids)}).all()


def pg_snippet_rows(response_ids: list, terms: list[Term]) -> list:
    query = pg_tsquery(terms)
    options = (f"StartSel={START}, StopSel={STOP}, MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, "
               "MaxFragments=2, FragmentDelimiter=\" … \"")
    headline = func.ts_headline(func.wijkstem_search_config(SearchDocument.language), SearchDocument.body, query,
                                bindparam(None, options))
    return db.session.execute(
        select(SearchDocument.response_id, SearchDocument.kind, SearchDocument.ref, SearchDocument.id, headline)
        .where(SearchDocument.response_id.in_(response_ids), column("vector").op("@@")(query))).all()


def anchor(kind: str, ref: str) -> str:
    """The id of the element on the response page that shows this text."""
    if kind in ("transcript", "note_translation"):
        return f"note-{uuid.UUID(ref)}"
    if kind == "comment":
        return f"comment-{ref}"
    return f"answer-{ref}"


def marked(fragment: str) -> Markup:
    """The database's snippet as safe HTML: everything escaped, then the marked matches in ``<mark>``.

    Always balanced, whatever the text held: a start inside a match, or a stop outside one, is dropped."""
    parts, inside = [], False
    for piece in fragment.replace(STOP, "\0" + STOP + "\0").replace(START, "\0" + START + "\0").split("\0"):
        if piece == START:
            if not inside:
                parts.append("<mark>")
                inside = True
        elif piece == STOP:
            if inside:
                parts.append("</mark>")
                inside = False
        elif piece:
            parts.append(str(escape(piece)))
    if inside:
        parts.append("</mark>")
    return Markup("".join(parts))  # noqa: S704 (every piece of text escaped above)
