"""``flask tracker backup`` and ``flask tracker restore``: a round trip on SQLite and PostgreSQL.

The archive brings back every row of every table (the history included) and
every document byte for byte; a database or documents folder that is not empty
is replaced only with ``--force`` (the old documents are kept aside); a damaged
archive is refused before anything is touched; the restored history is still
append-only.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.figures import record
from tests.views.screens import drive
from tracker.extensions import db
from tracker.models import Document, Process, User
from tracker.services import comments, documents

PDF = b"%PDF-1.4\n% the signed protocol\n" + bytes(range(256)) * 40


def digest() -> tuple[str, dict[str, int]]:
    """Every row of every table (history included), and the row counts."""
    db.session.remove()
    hashed = hashlib.sha256()
    counts = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        counts[table.name] = len(rows)
        hashed.update(table.name.encode() + repr([tuple(r) for r in rows]).encode())
    db.session.remove()
    return hashed.hexdigest(), counts


def stored_documents(app: Flask) -> dict[str, str]:
    folder = Path(app.config["UPLOAD_DIR"])
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.fixture
def filled(app: Flask, team: dict[str, User], make_process: Callable[..., Process]) -> list[int]:
    """Files at different stages, a comment and two uploaded documents (their ids)."""
    made = [drive(make_process("vilnius"), team, until="council"), make_process("umea")]
    for process in made:
        documents.upload(
            process.id, io.BytesIO(PDF), "protocol.pdf", "Πρωτόκολλο", "protocol", team["staff"]
        )
    comments.add(made[1].id, "Η Ουμεό απάντησε.", team["staff"])
    db.session.commit()
    return [p.id for p in made]


def staff() -> User:
    found = db.session.scalars(sa.select(User).where(User.email == "staff@example.org")).one()
    return found


def backup(runner: FlaskCliRunner, out: Path) -> Path:
    done = runner.invoke(args=["tracker", "backup", "--out", str(out)])
    assert done.exit_code == 0, done.output
    return Path(done.output.strip().splitlines()[-1])


def test_backup_and_restore_round_trip(
    app: Flask, runner: FlaskCliRunner, filled: list[int], tmp_path: Path
) -> None:
    saved, counts = digest()
    docs_saved = stored_documents(app)
    assert len(docs_saved) == 2 and counts["audit_log"] > 10
    archive = backup(runner, tmp_path / "backups")
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "SHA256SUMS"} <= names
    assert {f"documents/{n}" for n in docs_saved} <= names

    # Life goes on after the backup: a new file, a comment, a new document.
    comments.add(filled[1], "Μετά το αντίγραφο.", staff())
    documents.upload(filled[1], io.BytesIO(PDF + b"x"), "later.pdf", "Later", "other", staff())
    db.session.commit()
    changed, _ = digest()
    assert changed != saved

    refused = runner.invoke(args=["tracker", "restore", str(archive)])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert digest()[0] == changed  # nothing was touched

    restored = runner.invoke(args=["tracker", "restore", "--force", str(archive)])
    assert restored.exit_code == 0, restored.output
    assert digest() == (saved, counts)
    assert stored_documents(app) == docs_saved
    aside = list(Path(app.config["UPLOAD_DIR"]).parent.glob("documents.before-restore-*"))
    assert len(aside) == 1 and len(list(aside[0].iterdir())) == 3  # kept, never deleted
    for row in db.session.scalars(sa.select(Document)):
        path = Path(app.config["UPLOAD_DIR"]) / row.stored_name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log"))
    db.session.remove()
    record(
        "reliability",
        f"backup/restore round trip: {sum(counts.values())} rows in {len(counts)} tables and "
        f"{len(docs_saved)} documents identical after restore ({archive.stat().st_size} bytes)",
    )


def test_restore_into_an_empty_database(
    app: Flask, runner: FlaskCliRunner, filled: list[int], tmp_path: Path
) -> None:
    saved = digest()
    archive = backup(runner, tmp_path / "backups")
    # Empty every table (the schema stays, as after `flask db upgrade` on a new server).
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:  # TRUNCATE fires no row trigger
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    else:
        with db.engine.begin() as conn:  # the archive brings the trigger back
            conn.execute(sa.text("DROP TRIGGER audit_log_no_delete"))
            for name in ["audit_log", *[t for t in tables if t != "audit_log"]]:
                conn.execute(sa.text(f"DELETE FROM {name}"))
    for path in Path(app.config["UPLOAD_DIR"]).iterdir():
        path.unlink()
    assert sum(digest()[1].values()) == 0
    done = runner.invoke(args=["tracker", "restore", str(archive)])
    assert done.exit_code == 0, done.output
    assert digest() == saved


def test_a_damaged_archive_is_refused_before_anything_changes(
    app: Flask, runner: FlaskCliRunner, filled: list[int], tmp_path: Path
) -> None:
    archive = backup(runner, tmp_path / "backups")
    before = digest()
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.startswith("documents/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    done = runner.invoke(args=["tracker", "restore", "--force", str(damaged)])
    assert done.exit_code != 0 and "checksum" in done.output
    assert digest() == before
