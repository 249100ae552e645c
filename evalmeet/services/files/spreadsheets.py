"""Spreadsheets in and out: tables written as .xlsx or CSV, uploads read back into rows.

Writing: a text cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab/CR) is prefixed with a
single quote in CSV, so a spreadsheet program never runs it as a formula; in .xlsx every text
cell is a typed string (never a formula), stripped of the control characters the format cannot
hold. CSV is RFC 4180 (CRLF, quotes doubled) in UTF-8 with a BOM, which Excel on Windows needs
to show Chinese.

Reading: the extension must say .xlsx or .csv and the content must agree (an .xlsx is a zip
holding ``[Content_Types].xml``); a CSV must decode as UTF-8 (BOM or not) or GB18030, which is
what Chinese Excel saves. Whatever is wrong with a file becomes a :class:`FileRefused` with a
4xx status, never a 500.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from evalmeet.domain import clock
from evalmeet.domain.errors import DomainError

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000  # a roster holds 20,000 (roster.MAX_ROSTER); a file 5,000 rows at a time
MAX_COLUMNS = 60
MAX_UNZIPPED = 50 * 1024 * 1024  # a 2 MB zip must not unpack into gigabytes

Translate = Callable[..., str]

MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0"
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
# Control characters an .xlsx cannot hold (openpyxl refuses them); tabs and newlines are fine.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def english(message: str, **values: Any) -> str:
    """The identity translation (message ids are English)."""
    return message % values if values else message


# --- tables -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column: its header (a message id), what its cells hold, and a minimum width."""

    header: str
    kind: str = "text"  # text | int | money | decimal | date
    width: int = 10


@dataclass
class Table:
    """One sheet (or one CSV file): a title, columns and rows of plain values."""

    title: str
    columns: list[Column]
    rows: list[list[Any]]


@dataclass
class RowStream:
    """A table too big to hold: its rows come from an iterator (read in batches from the
    database), written to the file as they come; ``total`` is how many there will be (for the
    job's progress), and ``progress(done, total)`` is called as they are written."""

    title: str
    columns: list[Column]
    rows: Iterable[list[Any]]
    total: int = 0
    progress: Callable[[int, int], None] | None = None

    def counted(self) -> Iterator[list[Any]]:
        """The rows, reporting progress every ``CHUNK_ROWS`` (and at the end)."""
        done = 0
        for row in self.rows:
            yield row
            done += 1
            if self.progress is not None and done % CHUNK_ROWS == 0:
                self.progress(done, max(self.total, done))
        if self.progress is not None:
            self.progress(done, max(self.total, done))


# Rows written between two chunks of a streamed file (and two progress reports).
CHUNK_ROWS = 500
# Bytes per chunk read back from a streamed workbook's temporary file.
CHUNK_BYTES = 1024 * 1024


def csv_safe(value: str) -> str:
    """A text cell that a spreadsheet will not read as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if kind == "money" and isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if kind in ("int", "money", "decimal") and isinstance(value, int | Decimal):
        return str(value)
    return csv_safe(str(value))


def to_csv(table: Table, translate: Translate = english) -> bytes:
    """RFC 4180 CSV (CRLF, quotes doubled) in UTF-8 with a BOM, so Excel reads Chinese right."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_safe(translate(c.header)) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_chunks(table: RowStream, translate: Translate = english) -> Iterator[bytes]:
    """:func:`to_csv` of a streamed table, as chunks of ``CHUNK_ROWS`` rows: never the whole file
    in memory (the bytes are the same as :func:`to_csv` of the same rows)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    out.write("\ufeff")
    writer.writerow([csv_safe(translate(c.header)) for c in table.columns])
    pending = 0
    for row in table.counted():
        writer.writerow([_csv_cell(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
        pending += 1
        if pending >= CHUNK_ROWS:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
            pending = 0
    if out.tell():
        yield out.getvalue().encode("utf-8")


def _display_width(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind == "money" and isinstance(value, Decimal):
        shown = f"{value:,.2f}"
    elif isinstance(value, date):
        shown = "2026-12-31"
    else:
        shown = str(value)
    longest = max((line for line in shown.splitlines()), key=len, default="")
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in longest)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("", value)
    if isinstance(value, datetime):  # Excel has no time zones: China wall-clock time
        return clock.china_wall_clock(value)
    return value


def _format(cell: Any, value: Any, column: Column, wrap: Alignment) -> Any:
    """A data cell's type and format, the same in a whole and in a streamed workbook."""
    if isinstance(cell.value, str):
        cell.data_type = "s"  # a title like "=HYPERLINK(...)" stays text, never a formula
        if "\n" in cell.value:
            cell.alignment = wrap
    if column.kind == "money":
        cell.number_format = MONEY_FORMAT
    elif column.kind == "decimal":
        cell.number_format = PERCENT_FORMAT
    elif column.kind == "date" and isinstance(value, date):
        cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else DATE_FORMAT
    return cell


def _fill_sheet(ws: Any, table: Table, translate: Translate) -> None:
    ws.title = translate(table.title)[:31]
    bold = Font(bold=True)
    widths = []
    for col, column in enumerate(table.columns, start=1):
        cell = ws.cell(row=1, column=col, value=translate(column.header))
        cell.font = bold
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        widths.append(max(column.width, _display_width(cell.value, "text")))
    wrap = Alignment(vertical="top", wrap_text=True)
    for r, row in enumerate(table.rows, start=2):
        for col, (value, column) in enumerate(zip(row, table.columns, strict=True), start=1):
            _format(ws.cell(row=r, column=col, value=_xlsx_value(value)), value, column, wrap)
            widths[col - 1] = max(widths[col - 1], _display_width(value, column.kind))
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(width + 2, MAX_WIDTH)
    ws.freeze_panes = "A2"
    if table.rows:
        ws.auto_filter.ref = ws.dimensions


def to_xlsx(tables: list[Table], translate: Translate = english) -> bytes:
    """A workbook with one sheet per table: bold header row, sensible widths, typed cells."""
    wb = Workbook()
    # The document's "created" is the app's clock (openpyxl would read the wall clock; it still
    # stamps "modified" from it when saving, which it offers no way to set).
    wb.properties.created = clock.now().replace(tzinfo=None)  # openpyxl wants naive UTC
    first = True
    for table in tables:
        ws = wb.active if first else wb.create_sheet()
        first = False
        _fill_sheet(ws, table, translate)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write_xlsx_stream(table: RowStream, out: Any, translate: Translate = english) -> None:
    """A one-sheet workbook of a streamed table, written to ``out`` (a binary file) with
    openpyxl's write-only mode: each row goes to the sheet's temporary file as it comes, so
    memory stays flat however many rows there are.

    The same sheet as :func:`to_xlsx` (bold header, frozen first row, filter, typed cells, text
    never a formula) except the widths: they must be set before the first row, so they come
    from the columns' minimum widths and headers, not from the data.
    """
    wb = Workbook(write_only=True)
    wb.properties.created = clock.now().replace(tzinfo=None)
    ws = wb.create_sheet(translate(table.title)[:31])
    headers = [translate(c.header) for c in table.columns]
    for col, (column, header) in enumerate(zip(table.columns, headers, strict=True), start=1):
        width = max(column.width, _display_width(header, "text"))
        ws.column_dimensions[get_column_letter(col)].width = min(width + 2, MAX_WIDTH)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    centre = Alignment(vertical="center", wrap_text=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    head = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=_xlsx_value(header))
        cell.data_type = "s"
        cell.font, cell.alignment = bold, centre
        head.append(cell)
    ws.append(head)
    rows = 1
    for row in table.counted():
        cells = []
        for value, column in zip(row, table.columns, strict=True):
            cells.append(_format(WriteOnlyCell(ws, value=_xlsx_value(value)), value, column, wrap))
        ws.append(cells)
        rows += 1
    if rows > 1:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{rows}"
    wb.save(out)


def xlsx_chunks(table: RowStream, translate: Translate = english) -> Iterator[bytes]:
    """:func:`write_xlsx_stream` into a temporary file, then that file in ``CHUNK_BYTES`` chunks
    (a zip is only complete once written, so the chunks come after the last row)."""
    with tempfile.TemporaryFile() as out:
        write_xlsx_stream(table, out, translate)
        out.seek(0)
        while chunk := out.read(CHUNK_BYTES):
            yield chunk


# --- reading --------------------------------------------------------------------------------


class FileRefused(DomainError):
    """The file as a whole cannot be read or imported (type, size, encoding, header, meeting state)."""

    def __init__(self, message: str, code: str, status: int = 422, **details: object) -> None:
        super().__init__(message, code, **details)
        self.status = status


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person typed (1001.0 → "1001", 1234.5 → "1234.5")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _read_xlsx(content: bytes) -> list[tuple[int, list[str]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise FileRefused("this .xlsx file is not an Excel workbook", "unsupported_file_type", 415)
            if sum(i.file_size for i in infos) > MAX_UNZIPPED:
                raise FileRefused(
                    "this workbook unpacks to too much data", "file_too_large", 413, reason="unpacked"
                )
    except zipfile.BadZipFile:
        raise FileRefused("this .xlsx file is damaged", "file_unreadable") from None
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            book = load_workbook(io.BytesIO(content), data_only=True)
            sheet = book.worksheets[0]
            if sheet.max_row > MAX_ROWS + 100:
                raise FileRefused(
                    f"the file has more than {MAX_ROWS} rows", "too_many_rows", 413, limit=MAX_ROWS
                )
            width = min(sheet.max_column, MAX_COLUMNS)
            rows = [
                (number, [_cell_text(v) for v in values])
                for number, values in enumerate(sheet.iter_rows(max_col=width, values_only=True), start=1)
            ]
    except DomainError:
        raise
    except Exception:  # noqa: BLE001 - any parser failure on user input is "unreadable", not a 500
        raise FileRefused("this .xlsx file could not be read", "file_unreadable") from None
    return rows


def _decode_text(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8", "gb18030"):
            try:
                return content.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise FileRefused(
        "the CSV file must be saved as UTF-8 or GBK/GB18030 text", "file_encoding", encodings="UTF-8, GB18030"
    )


def _read_csv(content: bytes) -> list[tuple[int, list[str]]]:
    decoded = _decode_text(content)
    if "\x00" in decoded:
        raise FileRefused("this file is not a CSV text file", "unsupported_file_type", 415)
    first = decoded.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = ","
    if "," not in first:
        delimiter = "\t" if "\t" in first else (";" if ";" in first else ",")
    reader = csv.reader(io.StringIO(decoded.lstrip("\ufeff"), newline=""), delimiter=delimiter, strict=True)
    rows = []
    try:
        for number, cells in enumerate(reader, start=1):
            if number > MAX_ROWS + 100:
                raise FileRefused(
                    f"the file has more than {MAX_ROWS} rows", "too_many_rows", 413, limit=MAX_ROWS
                )
            rows.append((number, cells[:MAX_COLUMNS]))
    except csv.Error as err:
        raise FileRefused(f"the CSV file is malformed: {err}", "file_unreadable") from None
    return rows


def read_table(filename: str, content: bytes) -> list[tuple[int, list[str]]]:
    """``(row number as in the file, cells)`` of an .xlsx or .csv upload; FileRefused otherwise.

    The extension must say .csv or .xlsx, and the content must agree with it.
    """
    if not content:
        raise FileRefused("the file is empty", "file_empty", 400)
    if len(content) > MAX_BYTES:
        raise FileRefused(
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB",
            "file_too_large",
            413,
            limit=MAX_BYTES,
            max_mb=MAX_BYTES // (1024 * 1024),
        )
    ext = os.path.splitext(filename or "")[1].lower()
    is_zip = content.startswith(b"PK\x03\x04")
    if ext == ".xlsx" and is_zip:
        return _read_xlsx(content)
    if ext == ".csv" and not is_zip and not content.startswith(b"\xd0\xcf\x11\xe0"):
        return _read_csv(content)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(
            "old .xls workbooks are not supported: save it as .xlsx",
            "unsupported_file_type",
            415,
            reason="xls",
            format="xls",
        )
    raise FileRefused("only .xlsx and .csv files can be imported", "unsupported_file_type", 415)
