"""Documents of a file: checked on the way in, kept outside the web root, served to its readers.

An upload is accepted only when its extension is on the allowlist AND its first
bytes say the same thing (a renamed executable is not a PDF). The bytes are
written under a random name in ``UPLOAD_DIR`` with their SHA-256; if the
transaction that records the row rolls back, the file is removed again, so a
failure never leaves half a document behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..domain.text import Reason
from ..extensions import db
from ..models import Document, Process, User
from . import audit
from .errors import Invalid, NotFound
from .permissions import require

log = logging.getLogger("tracker.documents")

CHUNK = 64 * 1024
KINDS = ("draft", "protocol", "letter", "decision", "minutes", "report", "photo", "other")


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    family: str  # what the magic bytes must say


TYPES: dict[str, FileType] = {
    "pdf": FileType("PDF", "application/pdf", "pdf"),
    "docx": FileType(
        "DOCX",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    "odt": FileType("ODT", "application/vnd.oasis.opendocument.text", "odt"),
    "png": FileType("PNG", "image/png", "png"),
    "jpg": FileType("JPEG", "image/jpeg", "jpeg"),
    "jpeg": FileType("JPEG", "image/jpeg", "jpeg"),
}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


def extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def clean_filename(filename: str) -> str:
    """The name as shown and offered on download: no path, no control characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-200:] or "document"


def sniff(path: Path) -> str | None:
    """What the file really is, from its content: pdf, png, jpeg, docx, odt, or None."""
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _office(path)
    return None


def _office(path: Path) -> str | None:
    """A zip is DOCX when it has Word's parts, ODT when its first entry names the type."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
                return "docx"
            if names and names[0] == "mimetype" and z.read("mimetype").strip() == ODT_MIMETYPE:
                return "odt"
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _written(session: Session) -> list[Path]:
    return session.info.setdefault("documents_written", [])  # type: ignore[no-any-return]


@event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    session.info.pop("documents_written", None)


@event.listens_for(Session, "after_soft_rollback")
def _drop_files(session: Session, previous_transaction: Any) -> None:
    """A rolled-back upload leaves no orphan bytes on disk."""
    for path in session.info.pop("documents_written", []):
        path.unlink(missing_ok=True)


def _store(stream: IO[bytes], limit: int) -> tuple[Path, str, int]:
    """Copy the upload to a new random name, hashing as it goes."""
    folder = upload_dir()
    stored = folder / secrets.token_hex(16)
    digest = hashlib.sha256()
    size = 0
    fd = os.open(stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                break
            digest.update(chunk)
            out.write(chunk)
    return stored, digest.hexdigest(), size


def _check_text(title: str, kind: str, filename: str) -> dict[str, list[Reason]]:
    errors: dict[str, list[Reason]] = {}
    if not title.strip():
        errors["title"] = [Reason("required")]
    elif len(title) > 200:
        errors["title"] = [Reason("too_long", {"max": 200})]
    if kind not in KINDS:
        errors["kind"] = [Reason("unknown_value")]
    if not filename:
        errors["file"] = [Reason("required")]
    elif extension(filename) not in TYPES:
        errors["file"] = [Reason("file_type")]
    return errors


def upload(
    process_id: int,
    stream: IO[bytes],
    filename: str,
    title: str,
    kind: str,
    actor: User,
) -> Document:
    """Check, store and record one document of a file."""
    require(actor, "document.upload")
    process = db.session.get(Process, process_id)
    if process is None:
        raise NotFound()
    filename = clean_filename(filename)
    errors = _check_text(title, kind, filename)
    if errors:
        raise Invalid(fields=errors)
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 20 * 1024 * 1024)
    path, sha256, size = _store(stream, limit)
    problem = None
    if size == 0:
        problem = Reason("file_empty")
    elif size > limit:
        problem = Reason("file_too_large", {"mb": limit // (1024 * 1024) or 1})
    else:
        wanted = TYPES[extension(filename)]
        if sniff(path) != wanted.family:
            problem = Reason("file_mismatch", {"ext": wanted.label})
    if problem is not None:
        path.unlink(missing_ok=True)
        log.warning("upload refused process=%s actor=%s: %s", process.id, actor.id, problem.code)
        raise Invalid(fields={"file": [problem]})
    _written(db.session()).append(path)
    document = Document(
        process_id=process.id,
        title=title.strip(),
        kind=kind,
        filename=filename,
        stored_name=path.name,
        content_type=TYPES[extension(filename)].content_type,
        size=size,
        sha256=sha256,
        uploaded_by_id=actor.id,
    )
    db.session.add(document)
    db.session.flush()
    audit.record(
        "document.upload",
        actor,
        process,
        document,
        data={"title": document.title, "filename": filename, "sha256": sha256, "size": size},
    )
    return document


def open_for(document_id: int, actor: User) -> tuple[Document, Path]:
    """The document and where its bytes are, for someone who may see its file."""
    require(actor, "document.view")
    require(actor, "process.view")
    document = db.session.get(Document, document_id)
    if document is None or not document.stored_name:
        raise NotFound()
    path = upload_dir() / document.stored_name
    if not path.is_file():
        log.error("document %s: stored file %s is missing", document.id, document.stored_name)
        raise NotFound()
    return document, path
