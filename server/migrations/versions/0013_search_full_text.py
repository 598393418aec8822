"""search what residents said: a table of the texts and the database's own full-text index over it (issue 13)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 17:45:00

`search_documents` holds one row per typed answer, answer translation, voice-note transcript, transcript
translation and team comment. Triggers on `answers`, `voice_notes` and `review_comments` write it, so every
path that stores, edits or deletes a text keeps it in step (the sync's bulk COPY and executemany included);
it is filled from the rows already stored. The full-text index belongs to the engine:
SQLite: an FTS5 table over `body` (external content: the text is stored once, in `search_documents`) kept in
step by triggers on `search_documents`.
PostgreSQL: a generated `vector` column, `to_tsvector(wijkstem_search_config(language), body)`, with a GIN
index; `wijkstem_search_config` maps a language code to PostgreSQL's text-search configuration for it
(``simple`` where PostgreSQL has none, and for the team's own texts, whose language is not stored).

The mapping below is a frozen copy of `server.search.operations.PG_CONFIGS` at the time of this migration
(`tests/server/test_search.py` checks that they agree).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PG_CONFIGS = {
    "nl": "dutch", "en": "english", "tr": "turkish", "ar": "arabic", "de": "german", "fr": "french",
    "es": "spanish", "pt": "portuguese", "it": "italian", "ru": "russian", "da": "danish", "sv": "swedish",
    "nb": "norwegian", "no": "norwegian", "fi": "finnish", "hu": "hungarian", "ro": "romanian", "el": "greek",
    "id": "indonesian", "hi": "hindi", "ne": "nepali", "ga": "irish", "lt": "lithuanian", "hy": "armenian",
    "eu": "basque", "ca": "catalan", "sr": "serbian", "ta": "tamil", "yi": "yiddish",
}

#: (table, kind, text column, whether the text is in the resident's language)
TEXTS = (
    ("answers", "answer", "text", True),
    ("answers", "answer_translation", "translation", False),
    ("voice_notes", "transcript", "transcript", True),
    ("voice_notes", "note_translation", "translation", False),
    ("review_comments", "comment", "body", False),
)
TABLES = ("answers", "voice_notes", "review_comments")


def upgrade():
    op.create_table('search_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('ref', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'],
                            name=op.f('fk_search_documents_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents'))
    )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_documents_ref'), ['ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_documents_response_id'), ['response_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        upgrade_postgresql()
    else:
        upgrade_sqlite()
    backfill()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS search_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS wijkstem_search_{table}()")
        op.execute("DROP TRIGGER IF EXISTS search_answers_inserted ON answers")
        op.execute("DROP FUNCTION IF EXISTS wijkstem_search_answers_inserted()")
    else:
        for table, kind, _column, _own in TEXTS:
            for event in ("ai", "au", "ad"):
                op.execute(f"DROP TRIGGER IF EXISTS search_{kind}_{event}")
        for event in ("ai", "au", "ad"):
            op.execute(f"DROP TRIGGER IF EXISTS search_documents_{event}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table('search_documents')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS wijkstem_search_config(text)")


# --- SQLite: FTS5 ------------------------------------------------------------------------------------

def ref_of(row: str, table: str) -> str:
    """The text form of a row's id (a voice note's id is stored as text already)."""
    return f"{row}.id" if table == "voice_notes" else f"CAST({row}.id AS TEXT)"


def sqlite_insert(table: str, kind: str, column: str, own: bool) -> str:
    language = "r.language" if own else "NULL"
    return (f"INSERT INTO search_documents (response_id, kind, ref, language, body) "
            f"SELECT r.id, '{kind}', {ref_of('new', table)}, {language}, new.{column} "
            f"FROM responses AS r WHERE r.id = new.response_id AND new.{column} IS NOT NULL;")


def upgrade_sqlite():
    # L* N* Co as unicode61's default, and M* so that a word written with combining marks (Arabic vowel signs,
    # decomposed accents) stays one word; `server.search.operations.words` splits the typed query the same way
    op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(body, content='search_documents', content_rowid='id', "
               "tokenize=\"unicode61 remove_diacritics 2 categories 'L* N* Co M*'\")")
    op.execute("CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
               "INSERT INTO search_fts (rowid, body) VALUES (new.id, new.body); END")
    op.execute("CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
               "INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.id, old.body); END")
    op.execute("CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
               "INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', old.id, old.body); "
               "INSERT INTO search_fts (rowid, body) VALUES (new.id, new.body); END")
    for table, kind, column, own in TEXTS:
        remove = f"DELETE FROM search_documents WHERE ref = {ref_of('old', table)} AND kind = '{kind}';"
        op.execute(f"CREATE TRIGGER search_{kind}_ai AFTER INSERT ON {table} WHEN new.{column} IS NOT NULL "
                   f"BEGIN {sqlite_insert(table, kind, column, own)} END")
        op.execute(f"CREATE TRIGGER search_{kind}_au AFTER UPDATE OF {column} ON {table} "
                   f"WHEN old.{column} IS NOT new.{column} BEGIN {remove} "
                   f"{sqlite_insert(table, kind, column, own)} END")
        op.execute(f"CREATE TRIGGER search_{kind}_ad AFTER DELETE ON {table} WHEN old.{column} IS NOT NULL "
                   f"BEGIN {remove} END")


# --- PostgreSQL: tsvector ----------------------------------------------------------------------------

def texts_of(table: str, row: str) -> str:
    """``(VALUES (kind, text, own language), ...)`` of one row of `table`."""
    values = ", ".join(f"('{kind}', {row}.{column}, {'true' if own else 'false'})"
                       for name, kind, column, own in TEXTS if name == table)
    return f"(VALUES {values}) AS t(kind, body, own)"


def upgrade_postgresql():
    known = {name for (name,) in op.get_bind().execute(sa.text("SELECT cfgname FROM pg_ts_config"))}
    cases = " ".join(f"WHEN '{code}' THEN 'pg_catalog.{config}'::regconfig"
                     for code, config in sorted(PG_CONFIGS.items()) if config in known)
    op.execute("CREATE FUNCTION wijkstem_search_config(language text) RETURNS regconfig "
               "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
               f"$$ SELECT CASE language {cases} ELSE 'pg_catalog.simple'::regconfig END $$")
    op.execute("ALTER TABLE search_documents ADD COLUMN vector tsvector "
               "GENERATED ALWAYS AS (to_tsvector(wijkstem_search_config(language), body)) STORED")
    op.execute("CREATE INDEX ix_search_documents_vector ON search_documents USING gin (vector)")
    for table in TABLES:
        kinds = ", ".join(f"'{kind}'" for name, kind, _column, _own in TEXTS if name == table)
        op.execute(f"""CREATE FUNCTION wijkstem_search_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM search_documents WHERE ref = OLD.id::text AND kind IN ({kinds});
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO search_documents (response_id, kind, ref, language, body)
    SELECT r.id, t.kind, NEW.id::text, CASE WHEN t.own THEN r.language END, t.body
    FROM responses AS r, {texts_of(table, 'NEW')}
    WHERE r.id = NEW.response_id AND t.body IS NOT NULL;
  END IF;
  RETURN NULL;
END $$""")
        columns = ", ".join(column for name, _kind, column, _own in TEXTS if name == table)
        # the sync stores answers by the thousand with COPY: their inserts are indexed once per statement
        events = f"UPDATE OF {columns} OR DELETE" if table == "answers" else f"INSERT OR UPDATE OF {columns} OR DELETE"
        op.execute(f"CREATE TRIGGER search_{table} AFTER {events} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION wijkstem_search_{table}()")
    op.execute(f"""CREATE FUNCTION wijkstem_search_answers_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_documents (response_id, kind, ref, language, body)
  SELECT r.id, t.kind, a.id::text, CASE WHEN t.own THEN r.language END, t.body
  FROM inserted AS a JOIN responses AS r ON r.id = a.response_id CROSS JOIN LATERAL {texts_of('answers', 'a')}
  WHERE t.body IS NOT NULL;
  RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER search_answers_inserted AFTER INSERT ON answers REFERENCING NEW TABLE AS inserted "
               "FOR EACH STATEMENT EXECUTE FUNCTION wijkstem_search_answers_inserted()")


# --- the texts stored before this migration ----------------------------------------------------------

def backfill():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, kind, column, own in TEXTS:
        ref = "x.id::text" if postgresql else ref_of("x", table)
        op.execute(f"INSERT INTO search_documents (response_id, kind, ref, language, body) "
                   f"SELECT r.id, '{kind}', {ref}, {'r.language' if own else 'NULL'}, x.{column} "
                   f"FROM {table} AS x JOIN responses AS r ON r.id = x.response_id "
                   f"WHERE x.{column} IS NOT NULL")
