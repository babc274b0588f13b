"""The peer, side by side in the same run: one approval here and in django-viewflow 2.4.

    make bench-peer        (creates bench/.venv-peer with django-viewflow 2.4.0 first)

Both sides on a fresh SQLite file with the same journal mode and
``synchronous=NORMAL``; each against its own bare insert + commit on the same
connection settings. Viewflow runs ``bench/peer/run.py`` (start → approve → end,
the approval completed as viewflow's task view does on POST) in its own
virtualenv; the tracker side is ``bench.approval.measure``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from ._util import short
from .approval import MODES, measure, print_listing

HERE = Path(__file__).resolve().parent
PEER_PYTHON = HERE / ".venv-peer" / "bin" / "python"


def peer(journal: str, count: int) -> dict:
    if not PEER_PYTHON.exists():
        sys.exit(f"{PEER_PYTHON} is missing: run `make bench-peer`")
    out = subprocess.run(
        [
            str(PEER_PYTHON),
            str(HERE / "peer" / "run.py"),
            "--journal",
            journal,
            "--approvals",
            str(count),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--approvals", type=int, default=200)
    args = parser.parse_args()
    print("== one approval: Twinning Tracker vs django-viewflow 2.4 (SQLite, synchronous=NORMAL)")
    head = (
        f"{'journal':<8} {'side':<10} {'ms/approval':>11} {'bare ms':>8} {'vs bare':>8} "
        f"{'stmts':>6} {'sqlite stmts':>12}"
    )
    print(head)
    listing = {}
    for journal in MODES:
        ours = measure(journal, args.approvals)
        theirs = peer(journal, args.approvals)
        listing = {"tracker": ours["listing"], "viewflow": theirs["listing"]}
        print(
            f"{journal:<8} {'tracker':<10} {ours['approval_ms']:>11.2f} {ours['bare_ms']:>8.3f} "
            f"{ours['approval_ms'] / ours['bare_ms']:>7.1f}x {ours['statements']:>6.0f} "
            f"{'(+COMMIT)':>12}"
        )
        print(
            f"{'':<8} {'viewflow':<10} {theirs['approval_ms']:>11.2f} {theirs['bare_ms']:>8.3f} "
            f"{theirs['approval_ms'] / theirs['bare_ms']:>7.1f}x "
            f"{theirs['django_statements']:>6.0f} {theirs['sqlite_statements']:>12.0f}"
        )
        print(
            f"{'':<8} {'ratio':<10} {ours['approval_ms'] / theirs['approval_ms']:>10.2f}x"
            f"{'':>19} goal: time ≤ 0.33x viewflow's, statements ≤ 12"
        )
    print(f"viewflow {theirs['django']}; its statements (connection.queries, incl. BEGIN/COMMIT):")
    for i, sql in enumerate(listing["viewflow"], 1):
        print(f"  {i:>2}. {short(sql)}")
    print_listing(listing["tracker"])


if __name__ == "__main__":
    main()
