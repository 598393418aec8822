"""Searching what residents said, with the database's own full-text engine (read only).

A search is one more filter of the review inbox (`server.review.operations.filter_conditions`): the typed
words become a condition on the response id (`search_filter`), so that every page that narrows responses
by the inbox's filters (the inbox, its pages and neighbours, the exports) searches too. The words are never
handed to the engine as query syntax: `parse_query` takes words, "quoted phrases" and a trailing ``*`` for a
prefix, and `fts5_query` / `tsquery_text` write them as quoted strings, so no input can make a syntax error.
"""

import re
import unicodedata
import uuid
from typing import NamedTuple

from markupsafe import Markup, escape
from sqlalchemy import bindparam, column, exists, false, func, literal_column, select, table
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

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


#: A run of word characters (`is_word_character`): letters and numbers (``[^\W_]``), the combining marks of the
#: scripts Wijkstem's languages use, and the private-use area.
WORD = re.compile("(?:[^\\W_]|[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
                  "\u06d6-\u06ed\u0711\u0730-\u074a\u0900-\u0903\u093a-\u094f\u0951-\u0957\u135d-\u135f"
                  "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20f0\ufe20-\ufe2f\ue000-\uf8ff])+")


def words(text: str) -> list[str]:
    """The words of `text`, split as the SQLite index splits them."""
    return [match.group()[:MAX_WORD_LENGTH] for match in WORD.finditer(text)]


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


def matching_documents(terms: list[Term]):
    """The condition on `SearchDocument` that its text matches `terms` (not empty)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column("vector").op("@@")(pg_tsquery(terms))
    return SearchDocument.id.in_(select(table("search_fts", column("rowid")).c.rowid).where(fts5_match(terms)))


def fts5_match(terms: list[Term]):
    return literal_column("search_fts").op("MATCH")(bindparam(None, fts5_query(terms)))


class Unindexed(ColumnElement):
    """An expression that SQLite serves from no index (``+expression``, its way to steer the planner);
    the expression itself elsewhere."""

    inherit_cache = True
    #: What the statement cache keys it by: the expression inside.
    _traverse_internals = [("inner", InternalTraversal.dp_clauseelement)]

    def __init__(self, expression):
        self.inner = expression
        self.type = expression.type


@compiles(Unindexed)
def _unindexed(element, compiler, **kw):
    return compiler.process(element.inner, **kw)


@compiles(Unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.inner, **kw)}"


def unindexed(expression) -> Unindexed:
    return Unindexed(expression)


def matching_response_ids(query: str):
    """A SELECT of the ids of the responses one of whose texts (answers, transcripts, their translations, the
    team's comments) matches `query` (as `parse_query` reads it), in every campaign; a query without a word
    matches nothing. For a page of responses use the inbox's filters (`q`: `search_filter`), which choose the
    plan; this is the plain list, e.g. for a count.

    On SQLite through the FTS5 table ``search_fts``, on PostgreSQL through the GIN index on
    ``search_documents.vector``.
    """
    terms = parse_query(query)
    documents = select(SearchDocument.response_id)
    return documents.where(matching_documents(terms)) if terms else documents.where(false())


class SearchFilter(NamedTuple):
    """The inbox's search as a SQL condition on a response id column (`search_filter`)."""

    condition: object
    #: The condition names the few matching responses: the page should fetch them by id, not walk the
    #: campaign's index (`server.review.operations.filter_conditions` keeps SQLite from doing so).
    by_id: bool = False


def search_filter(response_id_column, query: str) -> SearchFilter:
    """The inbox's `q` filter: `response_id_column` is the id of a response one of whose texts matches `query`.

    The best plan depends on how many texts a word is in, which the database cannot know before it looks:
    for a rare word, fetch its few responses by id and sort them; for a common one, walk the newest responses
    and keep those with a matching text. So on SQLite the index is asked first for up to `FEW_MATCHES` + 1
    matching texts (a millisecond or two): when that is all of them, the condition names their responses
    (`by_id`); otherwise it is a correlated EXISTS over the texts of each response walked, against the
    engine's list of matching texts (read once per query). PostgreSQL likewise (`pg_search_filter`).
    """
    terms = parse_query(query)
    if not terms:
        return SearchFilter(false())
    if db.session.get_bind().dialect.name == "postgresql":
        return pg_search_filter(response_id_column, terms)
    first = db.session.scalars(select(table("search_fts", column("rowid")).c.rowid).where(fts5_match(terms))
                               .limit(FEW_MATCHES + 1)).all()  # FTS5 stops after these: no list is built
    if len(first) <= FEW_MATCHES:
        few = set(db.session.scalars(select(SearchDocument.response_id).where(SearchDocument.id.in_(first))))
        return SearchFilter(response_id_column.in_(few), by_id=True) if few else SearchFilter(false())
    # `+id`: test each text of the response against the list, rather than look every listed text up
    listed = unindexed(SearchDocument.id).in_(select(table("search_fts", column("rowid")).c.rowid)
                                              .where(fts5_match(terms)))
    return SearchFilter(exists().where(SearchDocument.response_id == response_id_column, listed))


def pg_search_filter(response_id_column, terms: list[Term]) -> SearchFilter:
    """PostgreSQL: the same choice. Its planner cannot estimate a tsquery or-ed over several configurations,
    and walked a million responses for a word in twelve texts."""
    # OFFSET 0 keeps the LIMIT out of the inner plan: with it, PostgreSQL would rather read the table in order
    # until enough rows match (every row, for a rare word) than ask the GIN index
    matching = select(SearchDocument.response_id).where(matching_documents(terms)).offset(0).subquery()
    first = db.session.scalars(select(matching.c.response_id).limit(FEW_MATCHES + 1)).all()
    if len(first) <= FEW_MATCHES:
        return SearchFilter(response_id_column.in_(set(first)), by_id=True) if first else SearchFilter(false())
    return SearchFilter(exists().where(SearchDocument.response_id == response_id_column, matching_documents(terms)))


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
    """The page's matching texts with their matches marked, found in Python (`marked_fragment`): asking
    FTS5 for `snippet()` seeks every text in the index, a millisecond each for a common word."""
    rows = db.session.execute(select(SearchDocument.response_id, SearchDocument.kind, SearchDocument.ref,
                                     SearchDocument.id, SearchDocument.body)
                              .where(SearchDocument.response_id.in_(response_ids))).all()
    found = []
    for response_id, kind, ref, document_id, body in rows:
        fragment = marked_fragment(body, terms)
        if fragment is not None:
            found.append((response_id, kind, ref, document_id, fragment))
    return found


def folded(word: str) -> str:
    """A word as the FTS5 table compares it: lower case, without diacritics (``remove_diacritics 2``)."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFD", word.lower())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, folded word)`` of each word of `text`, split as `words` splits."""
    return [(match.start(), match.end(), folded(match.group())) for match in WORD.finditer(text)]


def occurrences(spans: list, term: Term) -> list[int]:
    """Where `term` starts among `spans` (word indexes)."""
    wanted = [folded(word) for word in term.words]
    last = len(wanted) - 1
    return [index for index in range(len(spans) - last)
            if all(spans[index + n][2] == word or (term.prefix and n == last and spans[index + n][2].startswith(word))
                   for n, word in enumerate(wanted))]


def marked_fragment(text: str, terms: list[Term]) -> str | None:
    """`SNIPPET_WORDS` words of `text` around its first match, matches between `START` and `STOP`; ``None``
    when not every term occurs (the text is not one the search found)."""
    spans = word_spans(text)
    marked_words: set[int] = set()
    first = len(spans)
    for term in terms:
        starts = occurrences(spans, term)
        if not starts:
            return None
        first = min(first, starts[0])
        marked_words.update(index + n for index in starts for n in range(len(term.words)))
    begin = max(0, min(first - SNIPPET_WORDS // 4, len(spans) - SNIPPET_WORDS))
    shown = range(begin, min(len(spans), begin + SNIPPET_WORDS))
    pieces, position = ["…" if begin > 0 else ""], spans[begin][0] if begin > 0 else 0
    for index in shown:
        start, end, _word = spans[index]
        pieces.append(text[position:start])
        pieces.append(f"{START}{text[start:end]}{STOP}" if index in marked_words else text[start:end])
        position = end
    pieces.append(text[position:] if shown.stop == len(spans) else "…")
    return "".join(pieces)


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
