"""Products stored in compressed blocks; ids in one small lookup table.

``catalog_products`` and ``catalog_variants`` (one row per product and per variant, each
with its JSON, and three indexes) become ``catalog_blocks``: 32 neighbouring products with
their variants per row, as zlib-compressed JSON (see ``catalog/blocks.py``), and
``catalog_ids``: which product seq each product and variant id belongs to. At a million
items that is ~30,000 block rows instead of ~2 million rows, and about a third of the disk.

Existing generations are converted in both directions, so a catalog survives the upgrade
and the downgrade as it was.

Revision ID: catalog_0003
Revises: catalog_0002
"""

import zlib
from collections.abc import Iterator
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "catalog_0003"
down_revision = "catalog_0002"
branch_labels = None
depends_on = None

BLOCK = 32  # products per block (catalog.blocks.BLOCK when this revision was written)
PRODUCT, VARIANT = 1, 2
_VARIANT_COLUMNS = (
    "id",
    "product_id",
    "line",
    "status",
    "price",
    "sale_price",
    "sale_start",
    "sale_end",
    "currency",
    "availability",
    "quantity",
    "data",
)
_products = sa.table(
    "catalog_products",
    *(sa.column(n) for n in ("generation", "seq", "id", "status", "title", "brand")),
    *(sa.column(n) for n in ("currency", "data")),
)
_variants = sa.table(
    "catalog_variants", sa.column("generation"), *(sa.column(n) for n in _VARIANT_COLUMNS)
)
_blocks = sa.table("catalog_blocks", sa.column("generation"), sa.column("block"), sa.column("data"))
_ids = sa.table(
    "catalog_ids", sa.column("generation"), sa.column("id"), sa.column("seq"), sa.column("kind")
)


def _create_new() -> None:
    op.create_table(
        "catalog_blocks",
        sa.Column("generation", sa.Integer(), primary_key=True),
        sa.Column("block", sa.Integer(), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "catalog_ids",
        sa.Column("generation", sa.Integer(), primary_key=True),
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.Integer(), nullable=False),  # 1 product, 2 variant, 3 both
        sqlite_with_rowid=False,
    )


def _create_old() -> None:
    op.create_table(
        "catalog_products",
        sa.Column("generation", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("brand", sa.String(255), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
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
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("sale_price", sa.BigInteger(), nullable=True),
        sa.Column("sale_start", sa.BigInteger(), nullable=True),
        sa.Column("sale_end", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("availability", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_catalog_variants_product", "catalog_variants", ["generation", "product_id", "line"]
    )


def _old_entries(connection: sa.Connection, generation: int) -> Iterator[list[Any]]:
    products = connection.execute(
        sa.select(_products.c.seq, _products.c.id, _products.c.status, _products.c.brand)
        .add_columns(_products.c.currency, _products.c.data)
        .where(_products.c.generation == generation)
        .order_by(_products.c.seq)
    ).all()
    for start in range(0, len(products), 500):
        chunk = products[start : start + 500]
        found: dict[str, list[list[Any]]] = {}
        for row in connection.execute(
            sa.select(*(_variants.c[n] for n in _VARIANT_COLUMNS))
            .where(
                _variants.c.generation == generation,
                _variants.c.product_id.in_([p.id for p in chunk]),
            )
            .order_by(_variants.c.product_id, _variants.c.line)
        ):
            found.setdefault(row.product_id, []).append(list(row))
        for p in chunk:
            yield [p.seq, p.id, p.status, p.brand, p.currency, p.data, found.get(p.id, [])]


def upgrade() -> None:
    _create_new()
    connection = op.get_bind()
    generations = connection.execute(
        sa.select(_products.c.generation).distinct().order_by(_products.c.generation)
    ).scalars()
    for generation in list(generations):
        open_block: list[list[Any]] = []
        number = 0

        def close(entries: list[list[Any]], number: int, generation: int = generation) -> None:
            data = zlib.compress(orjson.dumps(entries), 1)
            connection.execute(
                sa.insert(_blocks), {"generation": generation, "block": number, "data": data}
            )

        for entry in _old_entries(connection, generation):
            if entry[0] // BLOCK != number and open_block:
                close(open_block, number)
                open_block = []
            number = entry[0] // BLOCK
            open_block.append(entry)
            kind = PRODUCT
            rows = []
            for variant in entry[6]:
                if variant[0] == entry[1]:
                    kind |= VARIANT
                else:
                    rows.append({"id": variant[0], "kind": VARIANT})
            rows.append({"id": entry[1], "kind": kind})
            connection.execute(
                sa.insert(_ids), [{"generation": generation, "seq": entry[0], **r} for r in rows]
            )
        if open_block:
            close(open_block, number)
    op.drop_index("ix_catalog_variants_product", "catalog_variants")
    op.drop_table("catalog_variants")
    op.drop_index("ix_catalog_products_id", "catalog_products")
    op.drop_table("catalog_products")


def downgrade() -> None:
    _create_old()
    connection = op.get_bind()
    stored = connection.execute(
        sa.select(_blocks.c.generation, _blocks.c.data).order_by(
            _blocks.c.generation, _blocks.c.block
        )
    )
    for generation, data in stored.all():
        for seq, pid, status, brand, currency, text, variants in orjson.loads(
            zlib.decompress(data)
        ):
            connection.execute(
                sa.insert(_products),
                {
                    "generation": generation,
                    "seq": seq,
                    "id": pid,
                    "status": status,
                    "title": "",
                    "brand": brand,
                    "currency": currency,
                    "data": text,
                },
            )
            if variants:
                connection.execute(
                    sa.insert(_variants),
                    [
                        {"generation": generation, **dict(zip(_VARIANT_COLUMNS, v, strict=True))}
                        for v in variants
                    ],
                )
    op.drop_table("catalog_ids")
    op.drop_table("catalog_blocks")
