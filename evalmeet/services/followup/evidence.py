"""Evidence attachments of follow-up actions: checked, hashed, stored under random names.

Rules (see also the upload view in ``web/followup.py``):

- A file is stored as ``<upload_dir>/<stored_name>`` where ``stored_name`` is 48 random hex
  digits. Nothing the uploader sends ever becomes part of a path; their file name is cleaned
  (no directories, no control or bidi characters) and kept only for display and download.
- At most :data:`MAX_ATTACHMENT_BYTES` (10 MiB) per file; bigger ones are refused with 413 while
  streaming, before they are fully read. The upload route raises Flask's body limit (the app's
  ``MAX_CONTENT_LENGTH`` is 5 MB) to that plus room for the form around it; a proxy in front
  needs a limit at least as big (nginx: ``client_max_body_size 11m``).
- Only PDF, PNG, JPEG, Excel (.xlsx), Word (.docx), plain text and CSV, recognised by the
  extension AND by the content (magic bytes; for .xlsx/.docx the zip's parts; text must decode
  as UTF-8 or GB18030 without control characters). The stored content type comes from that
  check, never from the client. Anything else is refused with 415.
- The SHA-256 and size are recorded; every upload and removal is noted in the action's history
  and in the audit log.
- Files are written before the row is committed; the edge removes the file when the commit
  fails (``FilesWritten``), and removes files only after a deletion has been committed
  (``FilesRemoved``).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from evalmeet import private_files
from evalmeet.domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from evalmeet.models import Action, ActionAttachment, ActionNote, Item, utcnow
from evalmeet.schemas.followup import EvidenceUpload
from evalmeet.schemas.types import is_id
from evalmeet.services.accounts import audit
from evalmeet.services.events import Done, FilesRemoved, FilesWritten, done
from evalmeet.services.followup.actions import get_action

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
_CHUNK = 64 * 1024
_STORED_NAME = re.compile(r"^[0-9a-f]{48}$")


class FileTooLarge(DomainError):
    """The upload is bigger than the limit."""

    status = 413
    code = "file_too_large"


class UnsupportedFile(DomainError):
    """The upload is not one of the accepted kinds of file (by name or by content)."""

    status = 415
    code = "unsupported_file_type"


def _starts_with(magic: bytes) -> Callable[[Path], bool]:
    def check(path: Path) -> bool:
        with path.open("rb") as fh:
            return fh.read(len(magic)) == magic

    return check


def _office(part: str) -> Callable[[Path], bool]:
    """An Office Open XML file: a zip holding ``[Content_Types].xml`` and its main ``part``."""

    def check(path: Path) -> bool:
        if not _starts_with(b"PK\x03\x04")(path):
            return False
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        return "[Content_Types].xml" in names and part in names

    return check


def _text_charset(path: Path) -> str | None:
    """``utf-8`` or ``gb18030`` when the file is plain text in that encoding, else None."""
    data = path.read_bytes()
    for charset in ("utf-8-sig", "gb18030"):
        try:
            decoded = data.decode(charset)
        except UnicodeDecodeError:
            continue
        if any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in decoded) or "\x7f" in decoded:
            return None
        return "utf-8" if charset == "utf-8-sig" else charset
    return None


@dataclass(frozen=True)
class FileKind:
    """One accepted kind of file: its content type and how its content is recognised."""

    content_type: str
    matches: Callable[[Path], bool]


_PDF = FileKind("application/pdf", _starts_with(b"%PDF-"))
_PNG = FileKind("image/png", _starts_with(b"\x89PNG\r\n\x1a\n"))
_JPEG = FileKind("image/jpeg", _starts_with(b"\xff\xd8\xff"))
_XLSX = FileKind(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _office("xl/workbook.xml")
)
_DOCX = FileKind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _office("word/document.xml")
)
_TXT = FileKind("text/plain", lambda path: _text_charset(path) is not None)
_CSV = FileKind("text/csv", lambda path: _text_charset(path) is not None)
KINDS: dict[str, FileKind] = {
    ".pdf": _PDF,
    ".png": _PNG,
    ".jpg": _JPEG,
    ".jpeg": _JPEG,
    ".xlsx": _XLSX,
    ".docx": _DOCX,
    ".txt": _TXT,
    ".csv": _CSV,
}
ALLOWED_EXTENSIONS = tuple(KINDS)


def extension_of(filename: str) -> str:
    """The lower-case extension with its dot (``.pdf``), or ``""``."""
    return os.path.splitext(filename)[1].lower()


def _refuse_type(filename: str) -> UnsupportedFile:
    allowed = ", ".join(ALLOWED_EXTENSIONS)
    return UnsupportedFile(
        f"{filename or 'this file'} is not an accepted file: use PDF, PNG, JPEG, Excel (.xlsx), "
        f"Word (.docx), TXT or CSV ({allowed})",
        reason="attachment",
        allowed=allowed,
    )


def _content_type(path: Path, ext: str, filename: str) -> str:
    kind = KINDS[ext]
    if not kind.matches(path):
        raise UnsupportedFile(
            f"the content of {filename} is not a {ext[1:].upper()} file (it was renamed, or damaged)",
            reason="attachment",
            allowed=", ".join(ALLOWED_EXTENSIONS),
        )
    if kind.content_type.startswith("text/"):
        return f"{kind.content_type}; charset={_text_charset(path)}"
    return kind.content_type


def _copy(stream: IO[bytes], target: Path, max_bytes: int) -> tuple[int, str]:
    """Stream into ``target`` (created exclusively), refusing more than ``max_bytes``."""
    digest = hashlib.sha256()
    size = 0
    fd = private_files.open_private(target)  # 0600: evidence is for the app's eyes only
    with os.fdopen(fd, "wb") as out:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise FileTooLarge(
                    f"the file is larger than {max_bytes // (1024 * 1024)} MB",
                    limit=max_bytes,
                    max_mb=max_bytes // (1024 * 1024),
                )
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return size, digest.hexdigest()


def human_size(size: int) -> str:
    """``12.3 KB`` style sizes for notes and pages."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def save_attachment(
    session: Session,
    action_id: int,
    upload: EvidenceUpload,
    stream: IO[bytes],
    upload_dir: Path,
    actor: str,
    *,
    max_bytes: int = MAX_ATTACHMENT_BYTES,
) -> Done[ActionAttachment]:
    """Check and store an evidence file for an action; returns its (flushed) row.

    The file is on disk when this returns; the ``FilesWritten`` event tells the edge to remove
    it if the transaction is not committed.
    """
    action = get_action(session, action_id)
    name = upload.filename
    ext = extension_of(name)
    if not name:
        raise ValidationFailed("choose a file to upload", code="no_file", field="file")
    if ext not in KINDS:
        raise _refuse_type(name)
    private_files.private_dir(upload_dir)
    stored = secrets.token_hex(24)
    temporary = upload_dir / f".upload-{stored}"
    try:
        size, sha256 = _copy(stream, temporary, max_bytes)
        if size == 0:
            raise ValidationFailed("the file is empty", code="empty_file", field="file")
        content_type = _content_type(temporary, ext, name)
        os.replace(temporary, upload_dir / stored)
    finally:
        temporary.unlink(missing_ok=True)
    attachment = ActionAttachment(
        action_id=action.id,
        filename=name,
        stored_name=stored,
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_by=actor[:64],
    )
    session.add(attachment)
    action.updated_at = utcnow()
    session.add(
        ActionNote(
            action_id=action.id,
            author=actor[:64],
            note=f"上传证据：{name}（{human_size(size)}，SHA-256 {sha256}）",
        )
    )
    session.flush()
    audit.append(
        session,
        actor,
        "action.attachment_added",
        {
            "action_id": action.id,
            "attachment_id": attachment.id,
            "filename": name,
            "size": size,
            "sha256": sha256,
        },
        _meeting_of(session, action),
    )
    return done(attachment, FilesWritten((stored,)))


def _meeting_of(session: Session, action: Action) -> int | None:
    item = session.get(Item, action.item_id)
    return item.meeting_id if item else None


def get_attachment(session: Session, action_id: int, attachment_id: object) -> ActionAttachment:
    """An attachment of this action, or NotFound (also when it belongs to another action)."""
    attachment = session.get(ActionAttachment, attachment_id) if is_id(attachment_id) else None
    if attachment is None or attachment.action_id != action_id:
        raise NotFound(
            f"attachment {attachment_id} not found", code="attachment_not_found", attachment_id=attachment_id
        )
    return attachment


def attachments_of(session: Session, action_id: int) -> list[ActionAttachment]:
    """An action's evidence, oldest first."""
    return list(
        session.scalars(
            select(ActionAttachment)
            .where(ActionAttachment.action_id == action_id)
            .order_by(ActionAttachment.id)
        )
    )


def stored_path(upload_dir: Path, attachment: ActionAttachment) -> Path:
    """Where an attachment's bytes are; NotFound when the file has gone missing."""
    if not _STORED_NAME.match(attachment.stored_name):
        raise NotFound("the file of this attachment is missing", code="attachment_missing")
    path = upload_dir / attachment.stored_name
    if not path.is_file():
        raise NotFound("the file of this attachment is missing", code="attachment_missing")
    return path


def delete_attachment(session: Session, action_id: int, attachment_id: object, actor: str) -> Done[None]:
    """Remove an attachment's row (and note it); its file goes once that is committed.

    Evidence of a verified action stays: the verification rested on it.
    """
    action = get_action(session, action_id)
    attachment = get_attachment(session, action.id, attachment_id)
    if action.status == "verified":
        raise Conflict(
            f"action {action.id} is verified; its evidence can no longer be removed",
            code="action_verified",
            action_id=action.id,
        )
    stored, name, sha256 = attachment.stored_name, attachment.filename, attachment.sha256
    session.delete(attachment)
    action.updated_at = utcnow()
    note = f"删除证据：{name}（SHA-256 {sha256}）"
    session.add(ActionNote(action_id=action.id, author=actor[:64], note=note))
    session.flush()
    audit.append(
        session,
        actor,
        "action.attachment_removed",
        {"action_id": action.id, "attachment_id": attachment_id, "filename": name, "sha256": sha256},
        _meeting_of(session, action),
    )
    return done(None, FilesRemoved((stored,)))


def stored_names_of_meeting(session: Session, meeting_id: int) -> list[str]:
    """The stored names of every attachment of a meeting's actions (to remove after a wipe)."""
    return list(
        session.scalars(
            select(ActionAttachment.stored_name)
            .join(Action, Action.id == ActionAttachment.action_id)
            .join(Item, Item.id == Action.item_id)
            .where(Item.meeting_id == meeting_id)
        )
    )


def remove_stored_files(upload_dir: Path, stored_names: Iterable[str]) -> int:
    """Delete stored files by name (only names this module makes); returns how many were removed."""
    removed = 0
    for name in stored_names:
        if not _STORED_NAME.match(name):
            continue
        try:
            (upload_dir / name).unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed
