"""Catalog: products, variants and the search index, replaced atomically by generation.

An import writes a whole new generation (products, variants, the serialised search index),
then points ``catalog_current`` at it in one transaction and deletes the old generation.
Readers always go through the pointer, so they see the old catalog or the new one.

Until the catalog's tables migrated with the catalog, bot's revision 0003 made these same
tables; a database made then already has them, and this revision only records that.

Revision ID: catalog_0001
Revises:
"""

import sqlalchemy as sa
from alembic import context, op

revision = "catalog_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if not context.is_offline_mode() and sa.inspect(op.get_bind()).has_table("catalog_generations"):
        return  # made by bot's 0003 before the move, identical to what follows
    op.create_table(
        "catalog_generations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(16), nullable=False),  # building, ready
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("products", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("variants", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rejected", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "catalog_current",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("generation", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute("INSERT INTO catalog_current (id, generation) VALUES (1, NULL)")
    op.create_table(
        "catalog_products",
        sa.Column("generation", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),  # feed order = static rank
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("brand", sa.String(255), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        # Texts by locale, description HTML, categories, tags, images, link (JSON).
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index("ix_catalog_products_id", "catalog_products", ["generation", "id"])
    op.create_table(
        "catalog_variants",
        sa.Column("generation", sa.Integer(), primary_key=True),
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),  # minor units
        sa.Column("sale_price", sa.BigInteger(), nullable=True),
        sa.Column("sale_start", sa.BigInteger(), nullable=True),  # UTC seconds since the epoch
        sa.Column("sale_end", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("availability", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        # Label by locale, attributes, age group, gender, image, link (JSON).
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_catalog_variants_product", "catalog_variants", ["generation", "product_id", "line"]
    )
    op.create_table(
        "catalog_index",
        sa.Column("generation", sa.Integer(), primary_key=True),
        sa.Column("part", sa.Integer(), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "catalog_feeds",
        sa.Column("source", sa.String(1024), primary_key=True),  # URL or absolute path
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.Text(), nullable=True),  # size:mtime:sha256 of a file
        sa.Column("generation", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("catalog_feeds")
    op.drop_table("catalog_index")
    op.drop_index("ix_catalog_variants_product", "catalog_variants")
    op.drop_table("catalog_variants")
    op.drop_index("ix_catalog_products_id", "catalog_products")
    op.drop_table("catalog_products")
    op.drop_table("catalog_current")
    op.drop_table("catalog_generations")
