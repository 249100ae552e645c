"""Exports: the minutes as a workbook and a PDF, the archive and the actions as Excel and CSV.

Everything here is built from frozen results and recorded facts; nothing links a person to a
choice. Labels are English message ids passed through the caller's ``translate`` (the edge hands
in gettext, so the files come out in the page's language, Chinese by default). Writing the
files (and keeping them safe from formula injection) is ``services.spreadsheets``' job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from evalmeet.domain import clock
from evalmeet.domain.labels import (
    ACTION_KIND_LABELS,
    ACTION_PROGRESS_LABELS,
    APPEAL_STATUS_LABELS,
    CHOICE_LABELS,
    ITEM_RESULT_LABELS,
    PROCUREMENT_METHOD_LABELS,
    SCALE_LABELS,
    Labels,
)
from evalmeet.domain.sheets import PRESETS, Rules, fraction_text
from evalmeet.domain.states import DECIDED_ITEM_STATUSES
from evalmeet.i18n import N_
from evalmeet.models import Action, Item, ItemResult, Meeting, ResponsiblePerson
from evalmeet.models.base import UTCDateTime, contains_text
from evalmeet.schemas.files import ExportQuery
from evalmeet.services.archive.sheet_figures import PASS_RULE_NAMES, figures_of
from evalmeet.services.files.minutes import (
    Minutes,
    china_date,
    china_time,
    percent,
)
from evalmeet.services.files.spreadsheets import Column, RowStream, Table, Translate, english, to_xlsx
from evalmeet.services.followup.actions import is_overdue

ALL_CHOICES = ("satisfied", "basically_satisfied", "dissatisfied", "pass", "fail")
# Header of the column counting each choice's ballots.
CHOICE_COLUMNS = {
    "satisfied": N_("Satisfied (ballots)"),
    "basically_satisfied": N_("Basically satisfied (ballots)"),
    "dissatisfied": N_("Dissatisfied (ballots)"),
    "pass": N_("Pass (ballots)"),
    "fail": N_("Fail (ballots)"),
}

# Columns that several sheets share, each run in the same order wherever it stands.
ITEM_NUMBER_COLUMNS = (Column("No.", "int", 5), Column("Item title", width=24))
PERSON_COLUMNS = (
    Column("Responsible person", width=10),
    Column("Position", width=10),
    Column("Department", width=10),
    Column("Procurement method", width=10),
)
VOTE_COLUMNS = (Column("Ballots", "int", 8), Column("Present at the vote", "int", 8))
SATISFACTION_COLUMNS = (Column("Satisfaction", width=8), Column("Satisfaction (%)", "decimal", 8))
# An item's current result, after its counts: in the minutes' items and in the archive's.
CURRENT_RESULT_COLUMNS = (
    *VOTE_COLUMNS,
    *SATISFACTION_COLUMNS,
    Column("Result", width=8),
    Column("Rounds", "int", 6),
)
AVERAGE_COLUMNS = (Column("Average score", width=10), Column("Average score (decimal)", "decimal", 10))


# --- the minutes ------------------------------------------------------------------------------


def _yes_no(value: bool, translate: Translate) -> str:
    return translate("Yes") if value else translate("No")


def result_label(passed: bool | None, translate: Translate) -> str:
    """通过 / 未通过 / 未表决."""
    status = "pending" if passed is None else "passed" if passed else "failed"
    return label_text(ITEM_RESULT_LABELS, status, translate)


def label_text(labels: Labels, value: str | None, translate: Translate) -> str:
    """A code's name through ``translate`` (plain gettext, so the file vocabularies have no
    context); empty for no value, the raw value when it is unknown."""
    if not value:
        return ""
    label = labels.get(value)
    return value if label is None else translate(label.msgid)


def flag_text(flag: Mapping[str, str], lang: str) -> str:
    """A risk flag's sentence in the page's language."""
    if lang == "en":
        return flag.get("message_en") or flag.get("message", "")
    return flag.get("message", "")


def _overview(minutes: Minutes, translate: Translate) -> Table:
    m = minutes.meeting
    rows: list[list[Any]] = [
        [translate("Meeting title"), m.title],
        [translate("Date and time (China time)"), china_time(m.scheduled_at or m.started_at)],
        [translate("Location"), m.location],
        [translate("Started at"), china_time(m.started_at)],
        [translate("Finished at"), china_time(m.finished_at)],
        [translate("Rating scale"), label_text(SCALE_LABELS, m.scale, translate)],
        [translate("Pass threshold"), m.pass_threshold],
        [translate("Quorum"), m.quorum],
        [translate("Roster size"), minutes.roster],
        [translate("Attended"), minutes.present],
        [translate("Representatives present"), "、".join(minutes.present_names)],
        [translate("Items evaluated"), len(minutes.items)],
        [translate("Items passed"), minutes.passed],
        [translate("Items failed"), minutes.failed],
        [translate("Audit chain head"), minutes.audit_head],
        [translate("Generated at (China time)"), china_time(minutes.generated_at)],
    ]
    rules = minutes.rules
    at = 6  # after the rating scale
    if rules.criteria:
        rows.insert(at, [translate("Pass rule"), translate(PASS_RULE_NAMES[rules.pass_rule])])
        rows.insert(at, [translate("Criteria"), "、".join(c.label for c in rules.criteria)])
    if rules.groups:
        rows.insert(at, [translate("Rater groups"), groups_text(rules)])
    if m.rehearsal:
        rows.insert(1, [translate("Rehearsal"), translate("Yes")])
    # The printed overview is signed like the PDF: a line for each signatory, signature and date.
    rows.append([translate("Signatures"), translate("The undersigned confirm these minutes.")])
    rows += [
        [translate(role), translate("Signature: ____________________    Date: ________")]
        for role in minutes.signatories
    ]
    return Table(
        "Overview",
        [Column("Field", width=14), Column("Value", width=40)],
        rows,
    )


def choice_name(rules: Rules, key: str, translate: Translate) -> str:
    """A choice's name: a preset's translated by key (plain ids, as the file vocabularies are),
    a custom scale's as the moderator wrote it."""
    if rules.scale.name in PRESETS:
        return label_text(CHOICE_LABELS, key, translate)
    return next((c.label or c.key for c in rules.scale.choices if c.key == key), key)


def _count_columns(rules: Rules, translate: Translate) -> list[Column]:
    """A column of ballots per choice of the meeting's scale (any scale, custom ones too)."""
    return [
        Column(CHOICE_COLUMNS[c] if c in CHOICE_COLUMNS else _choice_header(rules, c, translate), "int", 8)
        for c in rules.scale.keys
    ]


def _choice_header(rules: Rules, key: str, translate: Translate) -> str:
    # Written as is: the sheet's writer looks the header up again, finds no message and keeps it.
    return translate("%(choice)s (ballots)", choice=choice_name(rules, key, translate))


def _items_sheet(minutes: Minutes, translate: Translate, lang: str) -> Table:
    columns = [
        *ITEM_NUMBER_COLUMNS,
        *PERSON_COLUMNS,
        Column("Number of suppliers", "int", 8),
        Column("Amount (yuan)", "money", 14),
        Column("Benchmark price (yuan)", "money", 12),
        Column("Unit price (yuan)", "money", 12),
        Column("Risk flags", width=24),
        *_count_columns(minutes.rules, translate),
        *CURRENT_RESULT_COLUMNS,
        Column("Re-vote reasons", width=20),
    ]
    rows = []
    for e in minutes.items:
        item, res = e.item, e.result
        counts = dict(res.counts) if res else {}
        rows.append(
            [
                e.number,
                item.title,
                e.person_name,
                e.person_position,
                e.person_department,
                label_text(PROCUREMENT_METHOD_LABELS, item.procurement_method, translate),
                item.supplier_count,
                item.amount,
                item.benchmark_price,
                item.unit_price,
                "\n".join(flag_text(f, lang) for f in e.risk_flags),
                *[counts.get(c) if res else None for c in minutes.choices],
                res.ballots if res else None,
                res.present if res else None,
                res.satisfaction if res else "",
                res.percent if res else None,
                result_label(res.passed if res else None, translate),
                len(e.rounds),
                "\n".join(r.superseded_reason for r in e.rounds if r.superseded_reason),
            ]
        )
    return Table("Items", columns, rows)


def _rounds_sheet(minutes: Minutes, translate: Translate) -> Table:
    columns = [
        *ITEM_NUMBER_COLUMNS,
        Column("Round", "int", 6),
        *_count_columns(minutes.rules, translate),
        *VOTE_COLUMNS,
        Column("Phone ballots", "int", 8),
        Column("Phone counts", width=20),
        Column("Paper ballots", "int", 8),
        Column("Paper counts", width=20),
        Column("Invalid paper ballots", "int", 8),
        Column("Scrutineers", width=16),
        *SATISFACTION_COLUMNS,
        Column("Pass threshold", width=8),
        Column("Result", width=8),
        Column("Voting closed (China time)", "date", 16),
        Column("Re-vote reason", width=24),
    ]
    scored = minutes.rules.scale.scored
    if scored:
        columns += AVERAGE_COLUMNS
    rows = []
    for e in minutes.items:
        for r in e.rounds:
            counts = dict(r.counts)
            channels = r.channels
            rows.append(
                [
                    e.number,
                    e.item.title,
                    r.number,
                    *[counts.get(c, 0) for c in minutes.choices],
                    r.ballots,
                    r.present,
                    channels.phone.ballots if channels else r.ballots,
                    _counts_text(r.channel_counts("phone"), minutes.rules, translate),
                    channels.paper.ballots if channels else 0,
                    _counts_text(r.channel_counts("paper"), minutes.rules, translate),
                    channels.paper.invalid if channels else 0,
                    "、".join(channels.paper.scrutineers) if channels else "",
                    r.satisfaction,
                    r.percent,
                    r.pass_threshold,
                    result_label(r.passed, translate),
                    r.closed_at,
                    r.superseded_reason or "",
                    *([r.sheet.average_score or "", r.sheet.average] if scored else []),
                ]
            )
    return Table("Voting rounds", columns, rows)


def groups_text(rules: Rules) -> str:
    """``职工代表 2/5、中层干部 2/5、班子成员 1/5``."""
    return "、".join(f"{g.label} {fraction_text(g.weight)}" for g in rules.groups)


def _criteria_sheet(minutes: Minutes, translate: Translate) -> Table:
    """Each round's counts and satisfaction per criterion of the rating sheet."""
    columns = [
        *ITEM_NUMBER_COLUMNS,
        Column("Round", "int", 6),
        Column("Criterion", width=12),
        *_count_columns(minutes.rules, translate),
        *SATISFACTION_COLUMNS,
    ]
    rows = [
        [e.number, e.item.title, r.number, c.label, *[n for _c, n in c.counts], c.satisfaction, c.percent]
        for e in minutes.items
        for r in e.rounds
        for c in r.sheet.criteria
    ]
    return Table("Criteria", columns, rows)


def _groups_sheet(minutes: Minutes) -> Table:
    """Each round's ballots and satisfaction per rater group, as the result gives them."""
    columns = [
        *ITEM_NUMBER_COLUMNS,
        Column("Round", "int", 6),
        Column("Rater group", width=12),
        Column("Weight", width=6),
        Column("Ballots", "int", 8),
        *SATISFACTION_COLUMNS,
    ]
    rows = [
        [e.number, e.item.title, r.number, g.label, g.weight, g.ballots, g.satisfaction, g.percent]
        for e in minutes.items
        for r in e.rounds
        for g in r.sheet.groups
    ]
    return Table("Rater groups", columns, rows)


def _counts_text(counts: list[tuple[str, int]] | None, rules: Rules, translate: Translate) -> str:
    """One channel's counts in a cell (``满意 2、基本满意 1、不满意 0``); "—" when not shown."""
    if counts is None:
        return "—"
    return "、".join(f"{choice_name(rules, choice, translate)} {n}" for choice, n in counts)


def _questions_sheet(minutes: Minutes) -> Table:
    columns = [
        *ITEM_NUMBER_COLUMNS,
        Column("Question no.", "int", 6),
        Column("Question", width=40),
        Column("Answer summary", width=40),
    ]
    rows = [
        [e.number, e.item.title, n, q.text, q.answer]
        for e in minutes.items
        for n, q in enumerate(e.questions, start=1)
    ]
    return Table("Questions", columns, rows)


def _recusals_sheet(minutes: Minutes) -> Table:
    """Who recused from which item, and why (public: a recusal names its representative)."""
    columns = [
        *ITEM_NUMBER_COLUMNS,
        Column("Representative", width=12),
        Column("Reason for the recusal", width=40),
    ]
    rows = [[e.number, e.item.title, r.name, r.reason] for e in minutes.items for r in e.recusals]
    return Table("Recusals", columns, rows)


def _actions_sheet(minutes: Minutes, translate: Translate) -> Table:
    columns = [
        *ITEM_NUMBER_COLUMNS,
        Column("Responsible person", width=10),
        *_ACTION_COLUMNS,
    ]
    rows = [
        [e.number, e.item.title, e.person_name, *_action_cells(a, a.overdue, translate)]
        for e in minutes.items
        for a in e.actions
    ]
    return Table("Follow-up actions", columns, rows)


# What a follow-up action says in a sheet (the minutes' and the register's), after who it is about.
_ACTION_COLUMNS = (
    Column("Kind", width=10),
    Column("Description", width=36),
    Column("Owner", width=12),
    Column("Due date", "date", 11),
    Column("Status", width=8),
    Column("Overdue", width=6),
)


def _action_cells(action: Any, overdue: bool, translate: Translate) -> list[Any]:
    """The cells under ``_ACTION_COLUMNS`` (an Action, or the minutes' record of one)."""
    return [
        label_text(ACTION_KIND_LABELS, action.kind, translate),
        action.description,
        action.owner,
        action.due_date,
        label_text(ACTION_PROGRESS_LABELS, action.status, translate),
        _yes_no(overdue, translate),
    ]


def _appeals_sheet(minutes: Minutes, translate: Translate) -> Table:
    columns = [
        *ITEM_NUMBER_COLUMNS,
        Column("Responsible person", width=10),
        Column("Sanction", width=12),
        Column("Filed on", "date", 11),
        Column("Statement of the appeal", width=36),
        Column("Decision", width=12),
        Column("Reason of the decision", width=30),
        Column("Decided at (China time)", width=17),
    ]
    rows = [
        [
            e.number,
            e.item.title,
            e.person_name,
            label_text(ACTION_KIND_LABELS, a.kind, translate),
            ap.filed_on,
            ap.statement,
            label_text(APPEAL_STATUS_LABELS, ap.status, translate),
            ap.reason if ap.status != "pending" else "",
            china_time(ap.decided_at),
        ]
        for e in minutes.items
        for a in e.actions
        for ap in a.appeals
    ]
    return Table("Appeals", columns, rows)


def minutes_xlsx(minutes: Minutes, translate: Translate = english, lang: str = "zh") -> bytes:
    """The minutes as a workbook: overview, items, voting rounds, questions, actions, appeals."""
    return to_xlsx(
        [
            _overview(minutes, translate),
            _items_sheet(minutes, translate, lang),
            _rounds_sheet(minutes, translate),
            *([_criteria_sheet(minutes, translate)] if minutes.rules.criteria else []),
            *([_groups_sheet(minutes)] if minutes.rules.groups else []),
            _questions_sheet(minutes),
            _actions_sheet(minutes, translate),
            _recusals_sheet(minutes),
            _appeals_sheet(minutes, translate),
        ],
        translate,
    )


def load_pdf_engine() -> None:
    """Import WeasyPrint now, in the calling (main) thread.

    Its first import looks its C libraries up with ``ctypes.util.find_library``, which runs
    ``ldconfig`` in a subprocess. Under gevent a subprocess can only be watched from the main
    loop, so an import that first happens inside the thread pool (or any other greenlet's
    thread) fails with "child watchers are only available on the default loop": the server
    calls this once before it serves.
    """
    import weasyprint  # noqa: F401


def render_pdf(html: str, stylesheet: Path) -> bytes:
    """HTML (rendered by the edge from a template) to PDF with WeasyPrint.

    Nothing outside the document is fetched: the stylesheet is read here, and the fetcher only
    allows ``data:`` URLs, so a crafted title can never make the server load a URL or a file.
    """
    import weasyprint

    try:
        from weasyprint.urls import URLFetcher

        fetcher: Any = URLFetcher(allowed_protocols=("data",))
    except ImportError:  # WeasyPrint < 66 took a plain function

        def fetcher(url: str) -> Any:
            """Refuse every URL."""
            raise ValueError(f"not loading {url[:40]}")

    css = weasyprint.CSS(string=stylesheet.read_text(encoding="utf-8"), url_fetcher=fetcher)
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
    return bytes(document.write_pdf(stylesheets=[css]))


# --- the archive and the actions --------------------------------------------------------------


def _meeting_date_column() -> Any:
    """The date a meeting is filed under (as in the archive): scheduled, started, finished, created."""
    return func.coalesce(
        Meeting.scheduled_at, Meeting.started_at, Meeting.finished_at, Meeting.created_at, type_=UTCDateTime()
    )


def _meeting_date(meeting: Meeting) -> date | None:
    return china_date(meeting.scheduled_at or meeting.started_at or meeting.finished_at or meeting.created_at)


def _apply_filter(stmt: Any, flt: ExportQuery) -> Any:
    when = _meeting_date_column()
    if flt.date_from:
        stmt = stmt.where(when >= clock.china_midnight_utc(flt.date_from))
    if flt.date_to:
        stmt = stmt.where(when < clock.china_midnight_utc(flt.date_to + timedelta(days=1)))
    if flt.q:
        stmt = stmt.where(
            or_(
                contains_text(Meeting.title, flt.q),
                contains_text(Item.title, flt.q),
                contains_text(Item.description, flt.q),
                contains_text(ResponsiblePerson.name, flt.q),
                contains_text(ResponsiblePerson.department, flt.q),
            )
        )
    return stmt


def _latest_results(session: Session, item_ids: list[int]) -> dict[int, ItemResult]:
    latest: dict[int, ItemResult] = {}
    for chunk in range(0, len(item_ids), 500):
        ids = item_ids[chunk : chunk + 500]
        for result in session.scalars(select(ItemResult).where(ItemResult.item_id.in_(ids))):
            held = latest.get(result.item_id)
            if held is None or result.vote_round > held.vote_round:
                latest[result.item_id] = result
    return latest


# Rows read from the database at a time by the exports (``yield_per``: a server-side cursor on
# PostgreSQL, SQLite's own cursor): a ten-year archive is never all in memory.
BATCH_ROWS = 500

Progress = Callable[[int, int], None]

# The first cells of an archive row: where its item stands (see ``_item_place``).
ITEM_PLACE_COLUMNS = (
    Column("Meeting", width=20),
    Column("Meeting date", "date", 11),
    Column("Item title", width=24),
)

ITEM_COLUMNS = [
    *ITEM_PLACE_COLUMNS,
    *PERSON_COLUMNS,
    Column("Amount (yuan)", "money", 14),
    *[Column(CHOICE_COLUMNS[c], "int", 8) for c in ALL_CHOICES],
    *CURRENT_RESULT_COLUMNS,
    Column("Votes", width=24),
    Column("Criteria", width=30),
    Column("Rater groups", width=30),
    *AVERAGE_COLUMNS,
]


def _item_place(meeting: Meeting, item: Item) -> list[Any]:
    """The cells under ``ITEM_PLACE_COLUMNS``."""
    return [meeting.title, _meeting_date(meeting), item.title]


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def _batches(session: Session, stmt: Any, batch: int | None = None) -> Iterator[Sequence[Any]]:
    """The rows of ``stmt`` in lists of ``batch`` (default ``BATCH_ROWS``), streamed from the
    database."""
    result = session.execute(stmt.execution_options(yield_per=batch or BATCH_ROWS))
    yield from result.partitions()


def archive_items_stream(
    session: Session,
    flt: ExportQuery,
    translate: Translate = english,
    progress: Progress | None = None,
    batch: int | None = None,
) -> RowStream:
    """Every decided item of closed, non-rehearsal meetings, with its current result: rows read
    ``BATCH_ROWS`` at a time (each batch's results in one more query), for a streaming writer."""
    stmt = _apply_filter(
        select(Item, Meeting, ResponsiblePerson)
        .join(Meeting, Meeting.id == Item.meeting_id)
        .join(ResponsiblePerson, ResponsiblePerson.id == Item.responsible_person_id)
        .where(
            Meeting.status == "closed",
            Meeting.rehearsal.is_(False),
            Item.status.in_(DECIDED_ITEM_STATUSES),
        ),
        flt,
    ).order_by(_meeting_date_column(), Meeting.id, Item.position, Item.id)
    total = _count(session, stmt)

    def rows() -> Iterator[list[Any]]:
        rules: dict[int, Rules] = {}
        for rows_in in _batches(session, stmt, batch):
            results = _latest_results(session, [item.id for item, _m, _p in rows_in])
            for item, meeting, person in rows_in:
                if meeting.id not in rules:
                    rules = {meeting.id: meeting.rules}  # rows come meeting by meeting
                yield _item_row(item, meeting, person, results.get(item.id), rules[meeting.id], translate)

    return RowStream("Evaluated items", ITEM_COLUMNS, rows(), total, progress)


def _item_row(
    item: Item,
    meeting: Meeting,
    person: ResponsiblePerson,
    res: ItemResult | None,
    rules: Rules,
    translate: Translate,
) -> list[Any]:
    counts = res.counts if res else {}
    return [
        *_item_place(meeting, item),
        person.name,
        person.position,
        person.department,
        label_text(PROCUREMENT_METHOD_LABELS, item.procurement_method, translate),
        item.amount,
        *[counts.get(c) if res and c in counts else None for c in ALL_CHOICES],
        res.ballots if res else None,
        res.present if res else None,
        f"{res.satisfaction_num}/{res.satisfaction_den}" if res else "",
        percent(res.satisfaction_num, res.satisfaction_den) if res else None,
        result_label(res.passed if res else item.status == "passed", translate),
        res.vote_round if res else None,
        *_sheet_cells(res, rules, translate),
    ]


def archive_items_table(session: Session, flt: ExportQuery, translate: Translate = english) -> Table:
    """:func:`archive_items_stream` as a whole table (small archives, tests)."""
    stream = archive_items_stream(session, flt, translate)
    return Table(stream.title, stream.columns, list(stream.rows))


def _sheet_cells(res: ItemResult | None, rules: Rules, translate: Translate) -> list[Any]:
    """A result's counts on any scale, its criteria and groups as text, its average score."""
    if res is None:
        return ["", "", "", "", None]
    sheet = figures_of(res, rules)
    votes = "、".join(
        f"{choice_name(rules, c, translate)} {int(res.counts.get(c, 0))}" for c in rules.scale.keys
    )
    criteria = "、".join(
        translate(
            "%(criterion)s %(satisfaction)s (%(percent)s%%)",
            criterion=c.label,
            satisfaction=c.satisfaction,
            percent="—" if c.percent is None else c.percent,
        )
        for c in sheet.criteria
    )
    groups = "、".join(
        translate(
            "%(group)s: weight %(weight)s, %(ballots)s ballots, satisfaction %(satisfaction)s",
            group=g.label,
            weight=g.weight,
            ballots=g.ballots,
            satisfaction=g.satisfaction,
        )
        for g in sheet.groups
    )
    return [votes, criteria, groups, sheet.average_score or "", sheet.average]


ACTION_COLUMNS = [
    *ITEM_PLACE_COLUMNS,
    Column("Responsible person", width=10),
    Column("Department", width=10),
    *_ACTION_COLUMNS,
]


def actions_stream(
    session: Session,
    flt: ExportQuery,
    translate: Translate = english,
    today: date | None = None,
    progress: Progress | None = None,
    batch: int | None = None,
) -> RowStream:
    """Every follow-up action of non-rehearsal meetings, with whether it is overdue: rows read
    ``BATCH_ROWS`` at a time, for a streaming writer."""
    day = today or clock.today()
    stmt = _apply_filter(
        select(Action, Item, Meeting, ResponsiblePerson)
        .join(Item, Item.id == Action.item_id)
        .join(Meeting, Meeting.id == Item.meeting_id)
        .join(ResponsiblePerson, ResponsiblePerson.id == Item.responsible_person_id)
        .where(Meeting.rehearsal.is_(False)),
        flt,
    ).order_by(_meeting_date_column(), Meeting.id, Item.position, Action.id)
    total = _count(session, stmt)

    def rows() -> Iterator[list[Any]]:
        for rows_in in _batches(session, stmt, batch):
            for action, item, meeting, person in rows_in:
                yield [
                    *_item_place(meeting, item),
                    person.name,
                    person.department,
                    *_action_cells(action, is_overdue(action, day), translate),
                ]

    return RowStream("Follow-up actions", ACTION_COLUMNS, rows(), total, progress)


def actions_table(
    session: Session, flt: ExportQuery, translate: Translate = english, today: date | None = None
) -> Table:
    """:func:`actions_stream` as a whole table (small archives, tests)."""
    stream = actions_stream(session, flt, translate, today)
    return Table(stream.title, stream.columns, list(stream.rows))
