"""SQLAlchemy 2 typed models, one module per aggregate."""

from evalmeet.models.account import ROLES, Account, ApiToken, LoginSession
from evalmeet.models.action import Action, ActionAttachment, ActionNote, ReminderSend, ReportBackLink
from evalmeet.models.appeal import Appeal, Correction
from evalmeet.models.audit import AuditEntry
from evalmeet.models.ballot import Ballot, Entitlement, ItemResult, PaperCount, Participation
from evalmeet.models.base import Base, utcnow
from evalmeet.models.item import Item, Question, QuestionSupport, Recusal
from evalmeet.models.meeting import Alert, LinkDevice, Meeting, Representative, ResponsiblePerson
from evalmeet.models.timer import MeetingTimer

__all__ = [
    "ROLES",
    "Account",
    "Action",
    "ActionAttachment",
    "ActionNote",
    "Alert",
    "ApiToken",
    "Appeal",
    "AuditEntry",
    "Ballot",
    "Base",
    "Correction",
    "Entitlement",
    "Item",
    "ItemResult",
    "LinkDevice",
    "LoginSession",
    "Meeting",
    "PaperCount",
    "MeetingTimer",
    "Participation",
    "Question",
    "QuestionSupport",
    "Recusal",
    "ReminderSend",
    "ReportBackLink",
    "Representative",
    "ResponsiblePerson",
    "utcnow",
]
