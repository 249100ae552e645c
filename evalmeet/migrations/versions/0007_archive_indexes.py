"""Revision 0007: indexes for ten years of archive.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 18:00:00.000000

Written by hand (issue 15, "Ten years of archive"): the foreign keys the archive, people,
actions and public pages read by had no index, so on 600 meetings a meeting's items, an item's
actions and questions, a person's items and an action's notes were table scans
(``bench/archive_scale.py``). Only indexes are added; no table is rebuilt. The ballot and
participation tables (the vote's hot path) are left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"

INDEXES = (
    ("ix_items_meeting_id", "items", "meeting_id"),
    ("ix_items_responsible_person_id", "items", "responsible_person_id"),
    ("ix_questions_item_id", "questions", "item_id"),
    ("ix_actions_item_id", "actions", "item_id"),
    ("ix_action_notes_action_id", "action_notes", "action_id"),
    ("ix_action_attachments_action_id", "action_attachments", "action_id"),
    ("ix_report_back_links_action_id", "report_back_links", "action_id"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column], unique=False)


def downgrade() -> None:
    for name, table, _column in reversed(INDEXES):
        op.drop_index(name, table_name=table)
