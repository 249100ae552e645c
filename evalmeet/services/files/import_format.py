"""What a roster or item file looks like: its columns, procurement methods as people write them.

The headers are matched loosely (Chinese or English, full-width or not, with "(元)" or "*"), the
first non-blank row is the header, and the empty template a moderator downloads has exactly
these columns. :mod:`evalmeet.services.files.imports` reads the rows under them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from evalmeet.domain.states import PROCUREMENT_METHODS
from evalmeet.i18n import N_
from evalmeet.services.files.spreadsheets import Column, FileRefused, Table

KINDS = ("roster", "items")


@dataclass(frozen=True)
class ImportField:
    """A column the import understands: its key, Chinese and English headers, other names."""

    key: str
    header: str  # the Chinese header used in templates
    english: str  # the English header (also the service's field name)
    aliases: tuple[str, ...] = ()
    required: bool = False


FIELDS: dict[str, tuple[ImportField, ...]] = {
    "roster": (
        ImportField("name", "姓名", "name", ("代表姓名", "职工代表"), True),
        ImportField(
            "employee_no", "工号", "employee_no", ("员工编号", "职工号", "职工编号", "employee number"), True
        ),
        ImportField("department", "部门", "department", ("单位", "所在部门", "所在单位")),
        ImportField("ballot", "投票方式", "ballot", ("选票", "表决方式")),
        # A rater group, by its label (职工代表) or key (workers): meetings with groups need one.
        ImportField("group", "组别", "group", ("评议组别", "测评组别", "分组", "rater group")),
    ),
    "items": (
        ImportField("title", "项目名称", "title", ("标题", "项目标题", "项目", "评价项目", "item"), True),
        ImportField(
            "person_name",
            "责任人",
            "responsible_person.name",
            ("责任人姓名", "被评价人", "responsible person"),
            True,
        ),
        ImportField("person_position", "职务", "responsible_person.position", ("责任人职务", "position")),
        ImportField(
            "person_department", "责任人部门", "responsible_person.department", ("department", "部门")
        ),
        ImportField("procurement_method", "采购方式", "procurement_method", ("method",)),
        ImportField("supplier_count", "供应商数量", "supplier_count", ("供应商数", "suppliers")),
        ImportField("amount", "金额", "amount", ("采购金额",)),
        ImportField("benchmark_price", "基准价", "benchmark_price", ("基准价格",)),
        ImportField("unit_price", "单价", "unit_price", ("采购单价",)),
        ImportField("description", "说明", "description", ("描述", "备注", "情况说明")),
    ),
}
# Procurement methods as people write them: codes, Chinese names, English names.
METHOD_NAMES = {
    "单一来源": "single_source",
    "单一来源采购": "single_source",
    "招标": "tender",
    "公开招标": "tender",
    "邀请招标": "tender",
    "询价": "inquiry",
    "询价采购": "inquiry",
    "竞争性谈判": "negotiation",
    "其他": "other",
    "其它": "other",
    "single source": "single_source",
    "competitive negotiation": "negotiation",
    **{code: code for code in PROCUREMENT_METHODS},
}
# How a representative votes, as people write it (empty: phone).
BALLOT_NAMES = {
    "手机": "phone",
    "手机投票": "phone",
    "纸质": "paper",
    "纸质票": "paper",
    "纸质选票": "paper",
    "纸票": "paper",
    "phone": "phone",
    "paper": "paper",
}
METHOD_DISPLAY = "单一来源、招标、询价、竞争性谈判、其他 / " + ", ".join(PROCUREMENT_METHODS)


def _norm(header: str) -> str:
    """Header matching: full-width folded, case-insensitive, no spaces/punctuation, no "(元)"."""
    value = unicodedata.normalize("NFKC", header).casefold().strip()
    value = re.sub(r"\((元|万元|yuan|必填|选填|required|optional)\)$", "", value)
    return re.sub(r"[\s_.\-*:]", "", value)


def _field_for_header(kind: str) -> dict[str, ImportField]:
    out: dict[str, ImportField] = {}
    for f in FIELDS[kind]:
        for name in (f.header, f.english, f.key, *f.aliases):
            out.setdefault(_norm(name), f)
    return out


def find_header(
    kind: str, rows: list[tuple[int, list[str]]]
) -> tuple[int, dict[str, int], dict[str, str], list[str]]:
    """The header row of ``rows``: its index, each field's column, each field's header as written,
    and the headers nobody understands (ignored); refused when a required column is missing or
    two columns mean the same field."""
    lookup = _field_for_header(kind)
    index = next((i for i, (_n, cells) in enumerate(rows) if any(c.strip() for c in cells)), None)
    if index is None:
        raise FileRefused("the file has no header row", "no_header")
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for col, raw in enumerate(rows[index][1]):
        name = raw.strip()
        if not name:
            continue
        f = lookup.get(_norm(name))
        if f is None:
            ignored.append(name)
        elif f.key in positions:
            raise FileRefused(
                f"two columns mean the same field: {headers[f.key]}, {name}",
                "duplicate_columns",
                columns=[headers[f.key], name],
            )
        else:
            positions[f.key] = col
            headers[f.key] = name
    missing = [f.header for f in FIELDS[kind] if f.required and f.key not in positions]
    if missing:
        raise FileRefused(
            f"required columns are missing: {', '.join(missing)}", "missing_columns", columns=missing
        )
    return index, positions, headers, ignored


def unquote(value: str) -> str:
    """Undo the quote our exports put before ``=``/``+``/``-``/``@`` (CSV formula protection)."""
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r") else value


def clean_money(value: str) -> str:
    """An amount cell without its currency signs and spaces (``¥1,200 元`` → ``1,200``)."""
    return value.replace("¥", "").replace("￥", "").replace("元", "").replace(" ", "").strip()


def template_table(kind: str, english: bool = False) -> Table:
    """An empty table with the import's headers (Chinese, or English field names)."""
    columns = [Column(f.english if english else f.header, width=14) for f in FIELDS[kind]]
    return Table(N_("Roster") if kind == "roster" else N_("Items"), columns, [])
