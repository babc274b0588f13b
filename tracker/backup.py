"""``flask tracker backup`` and ``flask tracker restore``: the database and the documents.

One archive (a ``.tar`` file) holds

- ``database.dump`` — ``pg_dump --format=custom`` taken in an exported snapshot,
  or ``database.sqlite3`` — a copy made with SQLite's online backup API;
- ``documents/…`` — every file of ``UPLOAD_DIR``;
- ``manifest.json`` — when, which schema revision, the row count of every table
  *in the same snapshot as the dump*, and the SHA-256 and size of every member;
- ``SHA256SUMS`` — the same checksums for ``sha256sum -c``.

The database is copied first and the documents after it: a document file is
written before the row that names it commits and is never rewritten, so every
document the copy refers to is in the archive.

``restore`` checks every checksum before touching anything, refuses a database
that holds any row (or a documents folder with files) unless ``--force``,
restores the database in one transaction, compares the row counts with the
manifest, and only then puts the documents in place (the old folder is kept
aside, never deleted). It also reads the nightly folders written by
``deploy/backup.sh`` (``database.dump``, ``documents.tar.gz``, ``SHA256SUMS``).
Stop the web workers and the scheduler before restoring.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import make_url

from config import INSTANCE_DIR

from . import clock
from .extensions import db

FORMAT = "twinning-tracker-backup"
FORMAT_VERSION = 1
CHUNK = 1024 * 1024


class BackupError(click.ClickException):
    """A backup or restore that cannot go on; nothing was changed by the failed step."""


@dataclass
class Archive:
    """An unpacked backup: where its files are and what its manifest says."""

    root: Path
    manifest: dict[str, Any]

    @property
    def dialect(self) -> str:
        return str(self.manifest["database"]["dialect"])

    @property
    def database_file(self) -> Path:
        return self.root / str(self.manifest["database"]["file"])

    @property
    def documents(self) -> Path:
        return self.root / "documents"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables() -> list[str]:
    return [t.name for t in db.metadata.sorted_tables]


def _count_rows(conn: Any, dialect: str) -> dict[str, int]:
    """Row counts of every table on a DB-API connection (inside the caller's snapshot)."""
    compiler = sa.create_mock_engine(f"{dialect}://", lambda *a, **k: None).dialect
    counts = {}
    for name in _tables():
        stmt = sa.select(sa.func.count()).select_from(sa.table(name))
        cursor = conn.execute(str(stmt.compile(dialect=compiler)))
        counts[name] = int(cursor.fetchone()[0])
    return counts


def _libpq_env(url: str) -> dict[str, str]:
    """Connection settings for pg_dump/pg_restore as environment variables.

    The password travels in ``PGPASSWORD``, never on a command line that ``ps`` shows.
    """
    parsed = make_url(url)
    env = {**os.environ, "PGDATABASE": parsed.database or ""}
    for key, value in (
        ("PGHOST", parsed.host),
        ("PGPORT", parsed.port),
        ("PGUSER", parsed.username),
        ("PGPASSWORD", parsed.password),
    ):
        if value:
            env[key] = str(value)
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    # An argument list (no shell) naming pg_dump or pg_restore from PATH, like the admin would.
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip()[-2000:]}")


def _revision(conn: Any, dialect: str) -> str:
    """The schema revision recorded by Alembic ("" for a database never migrated)."""
    probe = (
        "SELECT to_regclass('alembic_version') IS NOT NULL"
        if dialect == "postgresql"
        else "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'"
    )
    if not conn.execute(probe).fetchone()[0]:
        return ""
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else ""


# --- writing -----------------------------------------------------------------------------------


def _dump_postgresql(url: str, target: Path) -> tuple[dict[str, int], str]:
    """pg_dump inside an exported snapshot, so the counts describe exactly the dump."""
    import psycopg

    env = _libpq_env(url)
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        counts = _count_rows(conn, "postgresql")
        revision = _revision(conn, "postgresql")
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={row[0]}",
                f"--file={target}",
            ],
            env,
        )
        conn.rollback()
    return counts, revision


def _sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(parsed.database)


def _dump_sqlite(url: str, target: Path) -> tuple[dict[str, int], str]:
    """SQLite's online backup API: a consistent copy while the application keeps running."""
    source = sqlite3.connect(_sqlite_path(url))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        counts = _count_rows(copy, "sqlite")
        revision = _revision(copy, "sqlite")
    finally:
        copy.close()
        source.close()
    return counts, revision


def _add_file(tar: tarfile.TarFile, path: Path, name: str, files: dict[str, Any]) -> None:
    files[name] = {"sha256": sha256_of(path), "size": path.stat().st_size}
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with path.open("rb") as f:
        tar.addfile(info, f)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(clock.utcnow().timestamp())
    tar.addfile(info, io.BytesIO(data))


def write_backup(out: Path) -> Path:
    """Write one archive into the folder ``out`` (or to the file ``out`` if it ends in .tar)."""
    url = str(db.engine.url.render_as_string(hide_password=False))
    dialect = db.engine.dialect.name
    stamp = clock.utcnow().strftime("%Y%m%dT%H%M%SZ")
    target = out if out.suffix == ".tar" else out / f"twinning-tracker-{stamp}.tar"
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    db.session.remove()  # no transaction of ours holds a snapshot or a lock
    with tempfile.TemporaryDirectory(prefix="tracker-backup-") as tmp:
        if dialect == "postgresql":
            dump = Path(tmp) / "database.dump"
            counts, revision = _dump_postgresql(url, dump)
        elif dialect == "sqlite":
            dump = Path(tmp) / "database.sqlite3"
            counts, revision = _dump_sqlite(url, dump)
        else:
            raise BackupError(f"no backup method for {dialect}")
        files: dict[str, Any] = {}
        partial = target.with_name(target.name + ".partial")
        old_umask = os.umask(0o077)
        try:
            with tarfile.open(partial, "w") as tar:
                _add_file(tar, dump, dump.name, files)
                documents = Path(current_app.config["UPLOAD_DIR"])
                if documents.is_dir():
                    for path in sorted(p for p in documents.rglob("*") if p.is_file()):
                        name = "documents/" + path.relative_to(documents).as_posix()
                        _add_file(tar, path, name, files)
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_utc": clock.utcnow().isoformat(),
                    "database": {
                        "dialect": dialect,
                        "file": dump.name,
                        "alembic_revision": revision,
                        "rows": counts,
                    },
                    "documents": sum(1 for n in files if n.startswith("documents/")),
                    "files": files,
                }
                sums = "".join(f"{meta['sha256']}  {name}\n" for name, meta in files.items())
                _add_bytes(tar, "SHA256SUMS", sums.encode())
                _add_bytes(
                    tar, "manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode()
                )
            partial.replace(target)
        finally:
            os.umask(old_umask)
            partial.unlink(missing_ok=True)
    return target


# --- reading -----------------------------------------------------------------------------------


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name not in ("", ".")


def _extract(tar: tarfile.TarFile, into: Path) -> None:
    """Regular files only, inside ``into``: no links, devices or ``../`` escapes."""
    for member in tar.getmembers():
        if member.isdir():
            continue
        if not member.isfile() or not _safe_member(member.name):
            raise BackupError(f"refusing archive member {member.name!r}")
        target = into / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        source = tar.extractfile(member)
        assert source is not None
        with source, target.open("wb") as f:
            shutil.copyfileobj(source, f, CHUNK)


def _script_folder_manifest(root: Path) -> dict[str, Any]:
    """A nightly folder of ``deploy/backup.sh``: verify SHA256SUMS, unpack the documents."""
    sums = root / "SHA256SUMS"
    if not (root / "database.dump").is_file() or not sums.is_file():
        raise BackupError(f"{root} is neither a tracker archive nor a backup.sh folder")
    files = {}
    for line in sums.read_text().splitlines():
        digest, _, name = line.partition("  ")
        files[name.removeprefix("./")] = {"sha256": digest}
    for name, meta in files.items():
        if not _safe_member(name) or sha256_of(root / name) != meta["sha256"]:
            raise BackupError(f"checksum mismatch for {name}: the backup is damaged")
    return {
        "format": FORMAT,
        "database": {"dialect": "postgresql", "file": "database.dump", "rows": None},
        "files": {},
        "tarred_documents": "documents.tar.gz" in files,
    }


@contextmanager
def opened(source: Path) -> Iterator[Archive]:
    """Unpack ``source`` (archive file or backup.sh folder) and verify every checksum."""
    with tempfile.TemporaryDirectory(prefix="tracker-restore-") as tmp:
        root = Path(tmp)
        if source.is_dir():
            manifest = _script_folder_manifest(source)
            shutil.copy2(source / "database.dump", root / "database.dump")
            if manifest.pop("tarred_documents"):
                with tarfile.open(source / "documents.tar.gz") as tar:
                    staged = root / "unpacked"
                    _extract(tar, staged)
                    folders = [p for p in staged.iterdir() if p.is_dir()]
                    if len(folders) == 1:
                        folders[0].rename(root / "documents")
        elif tarfile.is_tarfile(source):
            with tarfile.open(source) as tar:
                _extract(tar, root)
            manifest_path = root / "manifest.json"
            if not manifest_path.is_file():
                raise BackupError("the archive has no manifest.json")
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("format") != FORMAT:
                raise BackupError("not a Twinning Tracker backup")
            for name, meta in manifest["files"].items():
                path = root / name
                if (
                    not _safe_member(name)
                    or not path.is_file()
                    or sha256_of(path) != meta["sha256"]
                ):
                    raise BackupError(f"checksum mismatch for {name}: the archive is damaged")
        else:
            raise BackupError(f"{source} is not a backup archive")
        yield Archive(root, manifest)


def database_is_empty() -> bool:
    """No row in any table of the application (a freshly migrated schema counts as empty)."""
    inspector = sa.inspect(db.engine)
    for name in _tables():
        if not inspector.has_table(name):
            continue
        if db.session.execute(
            sa.select(sa.literal(1)).select_from(sa.table(name)).limit(1)
        ).first():
            db.session.rollback()
            return False
    db.session.rollback()
    return True


def _restore_postgresql(url: str, dump: Path) -> None:
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={make_url(url).database}",
            str(dump),
        ],
        _libpq_env(url),
    )


def _restore_sqlite(url: str, copy: Path) -> None:
    source = sqlite3.connect(copy)
    target = sqlite3.connect(_sqlite_path(url))
    try:
        source.backup(target)  # page by page into the live file, under SQLite's own locks
    finally:
        target.close()
        source.close()


def _current_counts() -> dict[str, int]:
    counts = {}
    for name in _tables():
        counts[name] = int(
            db.session.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
        )
    db.session.rollback()
    return counts


def _put_documents(archive: Archive, folder: Path) -> Path | None:
    """Move the current folder aside (never deleted) and put the archive's in its place."""
    aside = None
    if folder.exists() and any(folder.iterdir()):
        stamp = clock.utcnow().strftime("%Y%m%dT%H%M%SZ")
        aside = folder.with_name(f"{folder.name}.before-restore-{stamp}")
        folder.rename(aside)
    elif folder.exists():
        folder.rmdir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    if archive.documents.is_dir():
        shutil.copytree(archive.documents, folder)
    else:
        folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    return aside


def restore_backup(source: Path, force: bool = False) -> dict[str, Any]:
    """Bring back the database and documents of ``source``; returns what was restored."""
    url = str(db.engine.url.render_as_string(hide_password=False))
    dialect = db.engine.dialect.name
    folder = Path(current_app.config["UPLOAD_DIR"])
    with opened(source) as archive:
        if archive.dialect != dialect:
            raise BackupError(
                f"the archive holds a {archive.dialect} database; this one is {dialect}"
            )
        has_files = folder.is_dir() and any(folder.iterdir())
        if not force and (not database_is_empty() or has_files):
            raise BackupError(
                "the database or the documents folder is not empty; "
                "restore replaces them only with --force"
            )
        db.session.remove()
        db.engine.dispose()  # no pooled connection keeps the old tables open
        if dialect == "postgresql":
            _restore_postgresql(url, archive.database_file)
        else:
            _restore_sqlite(url, archive.database_file)
        db.engine.dispose()
        counts = _current_counts()
        expected = archive.manifest["database"].get("rows")
        if expected is not None and counts != expected:
            raise BackupError(f"row counts differ after restore: {counts} != {expected}")
        aside = _put_documents(archive, folder)
    return {"rows": counts, "documents_aside": str(aside) if aside else None}


# --- commands ----------------------------------------------------------------------------------


@click.command("backup")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for the archive, or a file name ending in .tar "
    "(default: $BACKUP_DIR, else instance/backups).",
)
def backup_command(out: Path | None) -> None:
    """Write one consistent archive: database, documents, manifest with checksums."""
    if out is None:
        out = Path(os.environ.get("BACKUP_DIR") or INSTANCE_DIR / "backups")
    target = write_backup(out)
    click.echo(str(target))


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Replace a database or documents folder that is not empty."
)
def restore_command(archive: Path, force: bool) -> None:
    """Restore ARCHIVE (from `flask tracker backup`, or a deploy/backup.sh folder)."""
    done = restore_backup(archive, force=force)
    total = sum(done["rows"].values())
    click.echo(f"Restored {total} rows in {len(done['rows'])} tables from {archive}.")
    if done["documents_aside"]:
        click.echo(f"The previous documents folder is kept at {done['documents_aside']}.")
