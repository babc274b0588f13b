#!/usr/bin/env bash
# Twinning Tracker backup: the PostgreSQL database (pg_dump, custom format) and the
# documents folder, into one dated directory with checksums; old ones are pruned.
#
#   BACKUP_DIR=/var/backups/twinning-tracker deploy/backup.sh
#
# Reads DATABASE_URL and UPLOAD_DIR from the environment (systemd passes
# /etc/twinning-tracker/env). Restore: see deploy/README.md, "Restore".
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL is not set}"
BACKUP_DIR=${BACKUP_DIR:-/var/backups/twinning-tracker}
UPLOAD_DIR=${UPLOAD_DIR:-/var/lib/twinning-tracker/documents}
KEEP_DAYS=${BACKUP_KEEP_DAYS:-30}

# pg_dump speaks libpq URLs: drop SQLAlchemy's "+psycopg" driver suffix.
PG_URL=${DATABASE_URL/postgresql+psycopg:/postgresql:}
PG_URL=${PG_URL/postgres+psycopg:/postgresql:}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$BACKUP_DIR/$stamp"
umask 077
mkdir -p "$target"

# 1. The database first: one consistent snapshot (pg_dump runs in a single
#    repeatable-read transaction while the app keeps working).
pg_dump --format=custom --no-owner --no-privileges --file "$target/database.dump" "$PG_URL"

# 2. Then the documents. Files are written before the row that names them is
#    committed and never rewritten, so every document the dump refers to is here.
if [ -d "$UPLOAD_DIR" ]; then
  tar -C "$(dirname "$UPLOAD_DIR")" -czf "$target/documents.tar.gz" "$(basename "$UPLOAD_DIR")"
else
  echo "note: $UPLOAD_DIR does not exist yet; no documents to save" >&2
fi

(cd "$target" && sha256sum ./* > SHA256SUMS)
echo "backup written to $target"

# 3. Keep KEEP_DAYS days of backups.
find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name '20*Z' -mtime "+$KEEP_DAYS" \
  -exec rm -rf {} +
