"""The texts the inbox's search looks through, one row per text, kept by the database itself.

Rows are written by triggers on `answers`, `voice_notes` and `review_comments` (migration 0008), never by the
application: every path that stores, edits or deletes a text (the sync's bulk COPY / executemany, the review
forms, erasure, retention, a restore) keeps the search in step without knowing about it. The full-text index
over `body` belongs to the database engine too: an FTS5 table with its triggers on SQLite, a generated
`tsvector` column with a GIN index on PostgreSQL (`ENGINE_OWNED`).
"""

from ..extensions import db

#: What a row's text is: a typed answer, its translation, a voice note's transcript, its translation, or a
#: team member's comment.
TEXT_KINDS = ("answer", "answer_translation", "transcript", "note_translation", "comment")

#: The tables, columns and indexes that the database's full-text engine owns beside the models: made by the
#: migration, not by the models, and left out when models and migrations are compared (`is_engine_owned`).
ENGINE_OWNED = {
    "table": {"search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize", "search_fts_config",
              "search_fts_content"},
    "column": {("search_documents", "vector")},
    "index": {"ix_search_documents_vector"},
}


def is_engine_owned(name: str | None, type_: str, parent_names: dict) -> bool:
    """Whether Alembic should leave this database object alone (its `include_name` hook, negated)."""
    if type_ == "column":
        return (parent_names.get("table_name"), name) in ENGINE_OWNED["column"]
    return name in ENGINE_OWNED.get(type_, ())


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's `include_name` hook: compare (and autogenerate) everything but what the engine owns."""
    return not is_engine_owned(name, type_, parent_names)


class SearchDocument(db.Model):
    """One text a resident or the team wrote about a response, as the search finds it."""

    __tablename__ = "search_documents"

    #: Database id (the FTS5 table's rowid on SQLite).
    id = db.Column(db.Integer, primary_key=True)
    #: The response the text belongs to; erasing the response removes it.
    response_id = db.Column(db.Uuid, db.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    #: One of `TEXT_KINDS`.
    kind = db.Column(db.String(24), nullable=False)
    #: The id of the answer, voice note or comment the text is in, as text (where the result link points).
    ref = db.Column(db.String(40), nullable=False, index=True)
    #: The text's language (the resident's), or ``None`` for the team's own texts (translations, comments).
    language = db.Column(db.String(16), nullable=True)
    #: The text itself, as stored in its own table.
    body = db.Column(db.Text, nullable=False)
