"""Every figure of docs/performance.md in one run (``make bench``), one script after another.

    .venv/bin/python -m bench.run_all [--database-url postgresql://…/bench_db] [--quick]

Each script prints its own short table; each figure is a ratio against a
baseline measured in the same run (or, for counts and memory, a comparison of
two sizes), so the figures hold on a noisy machine. ``--quick`` uses smaller
request counts (for a busy machine); the peer comparison is ``make bench-peer``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL database for the load figure (wiped)")
    parser.add_argument("--quick", action="store_true", help="fewer requests per figure")
    args = parser.parse_args()
    quick = args.quick
    runs: list[list[str]] = [
        ["bench.approval", "--approvals", "100" if quick else "200"],
        ["bench.pages", "--requests", "10" if quick else "30"],
        ["bench.sweep"],
        ["bench.outbox"],
        ["bench.served", "memory", "--requests", "3000" if quick else "10000"],
    ]
    if args.database_url:
        runs.append(
            [
                "bench.served",
                "load",
                "--database-url",
                args.database_url,
                "--requests",
                "1000" if quick else "5000",
            ]
        )
    else:
        print("(no --database-url: the PostgreSQL load figure is skipped)")
    failed = 0
    for run in runs:
        print(f"\n$ python -m {' '.join(run)}", flush=True)
        started = time.perf_counter()
        done = subprocess.run(  # the same interpreter, a fresh process per figure
            [sys.executable, "-m", *run], stderr=subprocess.PIPE, text=True, check=False
        )
        if done.returncode:
            failed += 1
            print(done.stderr[-3000:])
        print(f"({time.perf_counter() - started:.0f} s)", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
