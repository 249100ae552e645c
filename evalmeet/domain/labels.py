"""The names of the codes the app stores: one home for every label a person reads.

Each vocabulary maps a stored code (``states.py``) to a :class:`~evalmeet.i18n.Label`: the English
message id, with a gettext context where the same English needs other Chinese elsewhere. Pure
data: the edge translates a label by code through Flask-Babel (``evalmeet.web.labels``); the
file exports hand the plain ids to the ``translate`` they are given, so the vocabularies they use
carry no context. Chinese for every id lives in ``messages.po`` (tests/test_translations.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from evalmeet.i18n import L_, LP_, Label

Labels = Mapping[str, Label]

MEETING_STATUS_LABELS: Labels = {"draft": L_("Draft"), "live": L_("In progress"), "closed": L_("Finished")}
# An item on the agenda: still to be evaluated (待评价), being voted on, or decided.
ITEM_STATUS_LABELS: Labels = {
    "pending": L_("Pending"),
    "voting": L_("Voting"),
    "passed": L_("Passed"),
    "failed": L_("Failed"),
}
# An item in the record (archive, minutes): one never voted on was "not voted" (未表决).
ITEM_RESULT_LABELS: Labels = {**ITEM_STATUS_LABELS, "pending": L_("Not voted")}
ITEM_KIND_LABELS: Labels = {"procurement": L_("Procurement"), "report_back": L_("Report-back")}
PROCUREMENT_METHOD_LABELS: Labels = {
    "single_source": L_("Single source"),
    "tender": L_("Tender"),
    "inquiry": L_("Inquiry"),
    "negotiation": L_("Competitive negotiation"),
    "other": L_("Other"),
}
SCALE_LABELS: Labels = {
    "three_level": L_("Satisfied / basically satisfied / dissatisfied"),
    "pass_fail": L_("Pass / fail"),
    "four_grade": L_("Excellent / competent / basically competent / incompetent"),
    "custom": L_("Custom scale"),
}
# How a representative votes: on their phone, or on a paper ballot the scrutineers count.
BALLOT_LABELS: Labels = {"phone": L_("Phone"), "paper": L_("Paper ballot")}
CHOICE_LABELS: Labels = {
    "satisfied": L_("Satisfied"),
    "basically_satisfied": L_("Basically satisfied"),
    "dissatisfied": L_("Dissatisfied"),
    "pass": L_("Pass"),
    "fail": L_("Fail"),
    "excellent": L_("Excellent"),
    "competent": L_("Competent"),
    "basically_competent": L_("Basically competent"),
    "incompetent": L_("Incompetent"),
}
ACTION_KIND_LABELS: Labels = {
    "rectification": L_("Rectification"),
    "retender": L_("Re-tender"),
    "warning": L_("Warning"),
    "party_discipline": L_("Party discipline"),
    "administrative_discipline": L_("Administrative discipline"),
    "reassignment": L_("Reassignment"),
    "other": L_("Other"),
}
# An action's status on the pages and in the report-back record (待办 / 进行中 / 已完成 / 已验收).
ACTION_STATUS_LABELS: Labels = {
    "open": LP_("action status", "Open"),
    "in_progress": LP_("action status", "In progress"),
    "done": LP_("action status", "Done"),
    "verified": LP_("action status", "Verified"),
}
# The same statuses in the words of the minutes and the exports, a rectification's progress
# (未开始 / 整改中 / 已完成 / 已验收).
ACTION_PROGRESS_LABELS: Labels = {
    "open": L_("Not started"),
    "in_progress": L_("Under way"),
    "done": L_("Done"),
    "verified": L_("Verified"),
}
# An appeal (申诉) against a sanction: pending (复核中) or decided (维持 / 撤销 / 变更); no context:
# the minutes' workbook names them too.
APPEAL_STATUS_LABELS: Labels = {
    "pending": L_("Under review"),
    "upheld": L_("Sanction upheld"),
    "overturned": L_("Sanction overturned"),
    "modified": L_("Sanction modified"),
}
# What a correction after close may change (更正): target → field → label.
CORRECTION_FIELD_LABELS: Labels = {
    "meeting.title": L_("Meeting title"),
    "meeting.location": L_("Meeting location"),
    "item.title": L_("Item title"),
    "item.description": L_("Item description"),
    "question.answer": L_("Answer to a question"),
    "question.text": L_("Text of a question"),
    "representative.name": L_("Representative's name"),
    "responsible_person.name": L_("Responsible person's name"),
    "responsible_person.position": L_("Responsible person's position"),
}
