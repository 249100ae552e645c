"""The streaming writers of the big exports: rows pulled as the file is written (never all in
memory), the same cells as the whole-table writers, progress reported; and the archive's items
and actions read from the database in batches."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from evalmeet.schemas.files import ExportQuery
from evalmeet.services.files import exports, spreadsheets
from evalmeet.services.files.spreadsheets import (
    CHUNK_ROWS,
    Column,
    RowStream,
    Table,
    csv_chunks,
    to_csv,
    write_xlsx_stream,
    xlsx_chunks,
)
from tests.conftest import both_databases
from tests.services.test_exports import build_closed_meeting

COLUMNS = [
    Column("Title"),
    Column("Amount (yuan)", "money", 14),
    Column("Due date", "date", 11),
    Column("N", "int"),
]


def _row(n: int) -> list[Any]:
    return [
        f'=HYPERLINK("x") 第{n}项' if n % 7 == 0 else f"第{n}项",
        Decimal(n) / 4,
        date(2026, 1, 1 + n % 28),
        n,
    ]


class Pulled:
    """Rows made on demand, counting how many have been taken so far."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.taken = 0

    def __iter__(self):
        for i in range(self.n):
            self.taken += 1
            yield _row(i)


def test_csv_chunks_are_to_csv_of_the_same_rows_written_as_they_come():
    rows = Pulled(CHUNK_ROWS * 2 + 17)
    reports: list[tuple[int, int]] = []
    stream = RowStream("Items", COLUMNS, rows, rows.n, lambda done, total: reports.append((done, total)))
    chunks = csv_chunks(stream)
    first = next(chunks)
    assert rows.taken <= CHUNK_ROWS + 1  # the first chunk left before the rest were read
    data = first + b"".join(chunks)
    assert data == to_csv(Table("Items", COLUMNS, [_row(i) for i in range(rows.n)]))
    assert data.startswith("\ufeff".encode()) and data.count(b"\r\n") == rows.n + 1
    assert b"'=HYPERLINK" in data  # still safe from formulas
    assert reports[0] == (CHUNK_ROWS, rows.n) and reports[-1] == (rows.n, rows.n)


def test_the_streamed_workbook_holds_every_row_typed_and_never_a_formula():
    rows = Pulled(CHUNK_ROWS + 3)
    out = io.BytesIO()
    write_xlsx_stream(RowStream("Evaluated items", COLUMNS, rows, rows.n), out)
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    assert ws.title == "Evaluated items" and ws.max_row == rows.n + 1
    assert [c.value for c in ws[1]] == ["Title", "Amount (yuan)", "Due date", "N"] and ws["A1"].font.b
    assert ws["A2"].value == '=HYPERLINK("x") 第0项' and ws["A2"].data_type == "s"
    assert ws["B3"].value == 0.25 and ws["B3"].number_format == "#,##0.00"
    assert ws["C2"].number_format == "yyyy-mm-dd" and ws["D504"].value == 502
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:D{rows.n + 1}"


def test_xlsx_chunks_are_the_workbook_in_pieces(monkeypatch):
    monkeypatch.setattr(spreadsheets, "CHUNK_BYTES", 1000)
    chunks = list(xlsx_chunks(RowStream("T", COLUMNS, Pulled(300), 300)))
    assert len(chunks) > 3 and all(len(c) <= 1000 for c in chunks)
    ws = load_workbook(io.BytesIO(b"".join(chunks))).active
    assert ws.max_row == 301 and ws["D301"].value == 299


def test_an_empty_stream_is_a_header_only_file():
    assert b"".join(csv_chunks(RowStream("T", COLUMNS, iter([]), 0))).count(b"\r\n") == 1
    out = io.BytesIO()
    write_xlsx_stream(RowStream("T", COLUMNS, iter([]), 0), out)
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    assert ws.max_row == 1 and ws.auto_filter.ref is None


@both_databases
def test_items_and_actions_are_read_in_batches_with_the_same_rows(session, monkeypatch):
    for n in range(3):
        build_closed_meeting(session, title=f"第{n}次评价会", scheduled_at=f"2026-11-2{n}T09:00")
    whole_items = exports.archive_items_table(session, ExportQuery()).rows
    whole_actions = exports.actions_table(session, ExportQuery(), today=date(2026, 12, 1)).rows
    monkeypatch.setattr(exports, "BATCH_ROWS", 2)  # six items, six actions: three batches each
    batches: list[int] = []
    real = exports._batches

    def counting(s, stmt, size=None):
        for rows in real(s, stmt, size):
            batches.append(len(rows))
            yield rows

    monkeypatch.setattr(exports, "_batches", counting)
    reports: list[tuple[int, int]] = []
    monkeypatch.setattr(spreadsheets, "CHUNK_ROWS", 1)
    items = exports.archive_items_stream(session, ExportQuery(), progress=lambda d, t: reports.append((d, t)))
    assert items.total == 6 and list(items.counted()) == whole_items
    assert batches == [2, 2, 2] and reports[-1] == (6, 6) and len(reports) == 7
    batches.clear()
    acts = exports.actions_stream(session, ExportQuery(), today=date(2026, 12, 1))
    assert acts.total == 6 and list(acts.rows) == whole_actions and batches == [2, 2, 2]
    assert [r[0] for r in whole_items] == ["第0次评价会"] * 2 + ["第1次评价会"] * 2 + ["第2次评价会"] * 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_filter_counts_what_it_streams(session, fmt):
    build_closed_meeting(session)
    stream = exports.archive_items_stream(session, ExportQuery(q="耐火砖"))
    assert stream.total == 1
    data = b"".join(csv_chunks(stream) if fmt == "csv" else xlsx_chunks(stream))
    if fmt == "csv":
        assert "耐火砖采购".encode() in data and "冶金焦炭".encode() not in data
    else:
        assert load_workbook(io.BytesIO(data)).active.max_row == 2
