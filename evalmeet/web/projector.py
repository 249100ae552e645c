"""The projector screen, opened with the meeting's display link (no login).

The page is rendered from the same ``state`` snapshot the live channel sends, so it is right
before the socket connects; ``static/js/projector.js`` then re-renders it from every ``state``,
``progress``, ``result`` and ``questions`` event. While voting is open the screen only ever shows
how many have voted, never counts by choice (see secrecy.md).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_babel import pgettext

from evalmeet.domain.errors import NotFound
from evalmeet.domain.labels import CHOICE_LABELS, PROCUREMENT_METHOD_LABELS
from evalmeet.domain.rules import SCALES
from evalmeet.extensions import db
from evalmeet.services.meetings import screens as console_service
from evalmeet.web import labels
from evalmeet.web.guessing import abort_slowed, client_address, guards

bp = Blueprint("projector", __name__)

# At or below this many present voters, a result can give away individual choices.
TINY_ELECTORATE = 2


def live_strings() -> dict[str, str]:
    """UI strings shared by the projector and the console, translated for the page's locale.

    Rendered into a ``<script type="application/json">`` block so the JS speaks the same
    language as the server-rendered page. ``{n}``-style placeholders are filled in by the JS.
    """
    return {
        "present": _("Attending"),
        "roster": _("Expected"),
        "quorum": _("Quorum"),
        "quorum_met": _("Quorum met"),
        "quorum_not_met": _("Quorum not met"),
        "join_hint": _("Scan the QR code on your personal admission slip to join"),
        "alert_second_device": _(
            "Notice: the join link of {name} was just used from a second device ({time})"
        ),
        "alert_link_reissued": _("Notice: a new join link was issued to {name} ({time})"),
        "join_hint_sub": _("No slip? Please see the meeting secretary."),
        "item_no": _("Item {n}"),
        "responsible": _("Responsible person"),
        "amount": _("Amount"),
        "yuan": _("{amount} yuan"),
        "method": _("Procurement method"),
        "suppliers": _("Suppliers"),
        "risk_flags": _("Risk flags"),
        "no_risk": _("No risk flags"),
        "questions": _("Questions"),
        "questions_open": _("Questions are open"),
        "questions_closed": _("Questions are closed"),
        "no_questions": _("No questions on screen yet"),
        "answer": _("Answer"),
        "support_n": _("Support {n}"),
        "voting_open": _("Voting is open: vote on your phone"),
        "voted_of": _("Voted {n} / {m}"),
        "tiny": _("Very few voters: the result may reveal individual choices"),
        "passed": _("PASSED"),
        "failed": _("FAILED"),
        "satisfaction": _("Satisfaction rate"),
        "pass_rate": _("Pass rate"),
        "threshold": _("Needed to pass"),
        "ballots_of": _("{n} ballots, {m} present"),
        "channels_of": _("By phone {phone} · on paper {paper}"),
        "paper_invalid": _("{n} invalid paper ballots"),
        "result": pgettext("live-screens", "Result"),
        "round": _("Round {n}"),
        "revote_reason": _("Re-vote: {reason}"),
        "summary": _("Results of the meeting"),
        "not_voted": _("Not voted"),
        "no_items": _("No items were evaluated"),
        "reconnecting": _("Reconnecting…"),
        "refused": _("This screen could not connect"),
        "waiting": _("Please wait for the next item"),
        "not_started": _("The meeting has not started yet"),
        "finished": _("The meeting has ended"),
        "none": _("not given"),
        # a rating sheet's figures, and the rater groups'
        "criterion": _("Criterion"),
        "ratings": _("Ratings"),
        "satisfaction_short": _("Satisfaction"),
        "group": _("Rater group"),
        "weight": _("Weight"),
        "ballots": _("Ballots"),
        "average_score": _("Average score {score}"),
        "every_criterion": _("on every criterion"),
        **labels.names(CHOICE_LABELS),
        **labels.names(PROCUREMENT_METHOD_LABELS),
    }


def money_text(value: str | None) -> str:
    """``"350000.00"`` → ``"350,000.00"`` (amounts travel as strings; no float touches them)."""
    if not value:
        return ""
    whole, _sep, cents = value.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return sign + ",".join(groups) + (f".{cents}" if cents else "")


def percent_text(fraction: str | None) -> str:
    """``"7/9"`` → ``"77.8%"``, rounded half up; ``"0/0"`` (no ballots) → ``"—"``."""
    if not fraction or "/" not in fraction:
        return "—"
    num, _sep, den = fraction.partition("/")
    if not den.isdigit() or not num.isdigit() or int(den) == 0:
        return "—"
    pct = (Decimal(int(num)) * 100 / Decimal(int(den))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{pct}%"


def score_text(fraction: str | None) -> str:
    """An exact average score ``"175/2"`` → ``"87.5"`` (one decimal, rounded half up)."""
    if not fraction or "/" not in fraction:
        return "—"
    num_text, _sep, den_text = fraction.partition("/")
    try:
        num, den = int(num_text), int(den_text)
    except ValueError:
        return "—"
    if den <= 0:
        return "—"
    tenths = (20 * abs(num) + den) // (2 * den)  # integers only: exact at any size
    return ("-" if num < 0 and tenths else "") + f"{tenths // 10}.{tenths % 10}"


def choice_name(meeting: dict[str, Any], key: str) -> str:
    """A choice's name on the live screens: a preset's translated, a custom one as written
    (static/js/live.js ``choiceName`` says the same)."""
    strings = live_strings()
    if meeting.get("scale") != "custom" and key in strings:
        return strings[key]
    for choice in meeting.get("choices") or []:
        if choice["key"] == key:
            return str(choice["label"] or key)
    return key


def _labelled(entries: list[dict[str, Any]] | None, figures: dict[str, Any]) -> list[dict[str, Any]]:
    """``figures`` by key in the meeting's order, each with its ``key`` and ``label``."""
    order = [e for e in entries or [] if e["key"] in figures]
    order += [{"key": k, "label": k} for k in figures if k not in {e["key"] for e in order}]
    return [{**figures[e["key"]], "key": e["key"], "label": e["label"]} for e in order]


def criterion_rows(result: dict[str, Any], meeting: dict[str, Any]) -> list[dict[str, Any]]:
    """Each criterion of a result with its label, counts and satisfaction."""
    return _labelled(meeting.get("criteria"), result.get("criteria") or {})


def group_rows(result: dict[str, Any], meeting: dict[str, Any]) -> list[dict[str, Any]]:
    """Each rater group of a result with its label, ballots, satisfaction and weight."""
    return _labelled(meeting.get("groups"), result.get("groups") or {})


def counts_text(counts: dict[str, int], meeting: dict[str, Any]) -> str:
    """``"优秀 2 · 称职 1 · …"``: one criterion's counts by choice, in the scale's order."""
    keys = [c["key"] for c in meeting.get("choices") or [] if c["key"] in counts] or list(counts)
    return " · ".join(f"{choice_name(meeting, k)} {counts.get(k, 0)}" for k in keys)


def channels_text(result: dict[str, Any] | None) -> str:
    """ "By phone 4 · on paper 3" (and the invalid sheets) of a result that had paper ballots;
    "" for one that came only by phone (static/js/live.js ``channelsText`` says the same)."""
    paper = ((result or {}).get("channels") or {}).get("paper")
    if not paper or not (paper["ballots"] or paper["invalid"] or paper["scrutineers"]):
        return ""
    strings = live_strings()
    phone = result["channels"]["phone"]  # type: ignore[index]
    line = fill(strings["channels_of"], phone=phone["ballots"], paper=paper["ballots"])
    if paper["invalid"]:
        line += " · " + fill(strings["paper_invalid"], n=paper["invalid"])
    return line


def fill(template: str, **values: Any) -> str:
    """Fill ``{name}`` placeholders of a translated string (the same syntax the JS uses)."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template


def page_helpers() -> dict[str, Any]:
    """Formatting helpers both screens' templates use."""
    return {
        "L": live_strings(),
        "money_text": money_text,
        "percent_text": percent_text,
        "fill": fill,
        "channels_text": channels_text,
        "score_text": score_text,
        "choice_name": choice_name,
        "criterion_rows": criterion_rows,
        "group_rows": group_rows,
        "counts_text": counts_text,
        "tiny_electorate": TINY_ELECTORATE,
        "scales": SCALES,
    }


@bp.get("/screen/<token>")
def screen(token: str) -> Any:
    """The projector page of the meeting whose display link carries ``token``: 404 otherwise,
    and 429 (late) for an address that sent too many invalid links (web/guessing.py)."""
    try:
        meeting = console_service.meeting_for_display(db.session, token)
    except NotFound:
        db.session.rollback()  # give the connection back before any wait
        slowed = guards().links.missed(client_address())
        if slowed is None:
            raise
        abort_slowed(slowed)
    view = console_service.projector_view(db.session, meeting).json_dict()
    return render_template(
        "projector/screen.html",
        display_token=meeting.display_token,
        state=view["state"],
        progress=view["progress"],
        **page_helpers(),
    )
