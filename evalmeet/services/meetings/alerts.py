"""Alerts the room must see: a join link used from a second device, a link re-issued.

The moderator holds every join link (they print the slips): nothing stops them from connecting
with someone's link and voting in their place, but it can be made visible. Each live connection
of a phone names the device it comes from (a random id the phone keeps); a link seen on a second
device raises an alert on the console and the projector and goes into the audit log. A phone
that reconnects after bad Wi-Fi is the same device and raises nothing. Re-issuing a link during
the meeting is announced the same way. Alerts never refuse anything.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evalmeet.domain import clock
from evalmeet.models import Alert, LinkDevice, Representative
from evalmeet.schemas.live import AlertOut, AlertPersonOut
from evalmeet.services.accounts import audit
from evalmeet.services.events import AlertRaised, Done, done

# What a connection that sent no device id is recorded as (python-socketio clients, old phones).
NO_DEVICE = "-"
ALERT_KINDS = ("second_device", "link_reissued")
SHOWN = 20


def device_digest(device: object) -> str:
    """SHA-256 of the phone's device id; ``NO_DEVICE`` when it sent none (or nothing usable)."""
    if not isinstance(device, str) or not 8 <= len(device) <= 128 or not device.isprintable():
        return NO_DEVICE
    return hashlib.sha256(f"device|{device}".encode()).hexdigest()


def note_device(session: Session, rep: Representative, device: object) -> Done[Alert | None]:
    """Record the device a link is used from; an alert when it is not the link's first device.

    The representative's row is locked first, so two devices connecting at once on two workers
    cannot both believe they are the first.
    """
    digest = device_digest(device)
    session.execute(select(Representative.id).where(Representative.id == rep.id).with_for_update())
    seen = set(session.scalars(select(LinkDevice.device_hash).where(LinkDevice.representative_id == rep.id)))
    if digest in seen:
        return done(None)
    session.add(LinkDevice(representative_id=rep.id, device_hash=digest))
    session.flush()
    if not seen:
        return done(None)
    alert = record_alert(session, rep.meeting_id, "second_device", rep, "system")
    return done(alert, AlertRaised(rep.meeting_id))


def record_alert(session: Session, meeting_id: int, kind: str, rep: Representative, actor: str) -> Alert:
    """Store an alert and its audit entry (the caller's use case returns its ``AlertRaised``)."""
    alert = Alert(meeting_id=meeting_id, kind=kind, representative_id=rep.id)
    session.add(alert)
    session.flush()
    audit.append(
        session,
        actor,
        f"alert.{kind}",
        {"alert_id": alert.id, "representative_id": rep.id, "devices": _device_count(session, rep.id)},
        meeting_id,
    )
    return alert


def _device_count(session: Session, rep_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(LinkDevice).where(LinkDevice.representative_id == rep_id)
        )
        or 0
    )


def alerts_for(session: Session, meeting_id: int) -> list[AlertOut]:
    """The meeting's newest alerts, newest first, with the representative's name."""
    rows = session.execute(
        select(Alert, Representative.name)
        .outerjoin(Representative, Representative.id == Alert.representative_id)
        .where(Alert.meeting_id == meeting_id)
        .order_by(Alert.id.desc())
        .limit(SHOWN)
    ).all()
    return [
        AlertOut(
            id=alert.id,
            kind=alert.kind,
            representative=AlertPersonOut(id=alert.representative_id, name=name),
            at=alert.created_at,
            time=clock.to_china(alert.created_at).strftime("%H:%M"),
        )
        for alert, name in rows
    ]
