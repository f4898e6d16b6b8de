"""Search filters inside the index: each document's kind, stream and activity become index
tokens ("facets"), and on SQLite prefixes of 3 to 6 letters get an index of their own.

A facet token is the field's letter and the value's UTF-8 in hex (``k`` kind, ``s`` stream,
``a`` activity; ``store/search.py:facet`` makes the same). On SQLite the FTS5 table gains a
``facets`` column, read from the view ``search_fts_source``, and is rebuilt from the
documents; on PostgreSQL the facets join each document's tsvector as lexemes starting with
``_``, which no indexed word has.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TOKENIZE = "tokenize='unicode61 remove_diacritics 2'"
_PG_FACETS = (
    "array_to_tsvector(array_remove(ARRAY["
    "'_k' || encode(convert_to(kind, 'UTF8'), 'hex'), "
    "'_s' || encode(convert_to(stream_id, 'UTF8'), 'hex'), "
    "'_a' || encode(convert_to(activity, 'UTF8'), 'hex')], NULL))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The GIN index on tsv follows the rewritten values.
        op.execute(f"UPDATE search_docs SET tsv = coalesce(tsv, ''::tsvector) || {_PG_FACETS}")
        return
    op.execute("DROP TABLE search_fts")
    # SQLite's hex() is upper case; the tokenizer folds it, as it folds the query's tokens.
    op.execute(
        "CREATE VIEW search_fts_source AS SELECT id, text, "
        "'k' || hex(kind) || ' s' || hex(stream_id) || coalesce(' a' || hex(activity), '') "
        "AS facets FROM search_docs"
    )
    op.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5(text, facets, "
        f"content='search_fts_source', content_rowid='id', {_TOKENIZE}, prefix='3 4 5 6')"
    )
    op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE search_docs SET tsv = ts_delete(tsv, ARRAY(SELECT lexeme FROM "
            "unnest(tsv) WHERE lexeme LIKE '\\_%'))"
        )
        return
    op.execute("DROP TABLE search_fts")
    op.execute("DROP VIEW search_fts_source")
    op.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5(text, content='search_docs', "
        f"content_rowid='id', {_TOKENIZE})"
    )
    op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
