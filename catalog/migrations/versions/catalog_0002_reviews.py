"""Reviews and ratings, and what the last import of each feed reported.

``catalog_reviews`` holds shoppers' reviews by product id (they outlive catalog generations:
a product keeps its reviews through re-imports); ``catalog_ratings`` their average and count
per product, rewritten with every reviews import; ``catalog_current.reviews_at`` tells each
process when the ratings changed. ``catalog_feeds.report`` keeps the last kept import's report
(counts and the first rejected rows) so ``shopchat check`` can show it for an unchanged feed.

Revision ID: catalog_0002
Revises: catalog_0001
"""

import sqlalchemy as sa
from alembic import op

from shopdb import UTCDateTime

revision = "catalog_0002"
down_revision = "catalog_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("review_id", sa.String(255), nullable=True),  # the source's own id
        sa.Column("rating", sa.Integer(), nullable=False),  # tenths of a star, 10-50
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("source", sa.String(1024), nullable=False),
    )
    op.create_index("catalog_reviews_product", "catalog_reviews", ["product_id", "reviewed_at"])
    op.create_table(
        "catalog_ratings",
        sa.Column("product_id", sa.String(255), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),  # sum of ratings in tenths
    )
    with op.batch_alter_table("catalog_current") as batch:
        batch.add_column(sa.Column("reviews_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("catalog_feeds") as batch:
        batch.add_column(sa.Column("report", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalog_feeds") as batch:
        batch.drop_column("report")
    with op.batch_alter_table("catalog_current") as batch:
        batch.drop_column("reviews_at")
    op.drop_table("catalog_ratings")
    op.drop_index("catalog_reviews_product", "catalog_reviews")
    op.drop_table("catalog_reviews")
