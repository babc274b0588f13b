"""The peer side: per-approval time and statements in django-viewflow 2.4, plus its baseline.

    bench/.venv-peer/bin/python bench/peer/run.py --journal WAL --approvals 200

Prints one JSON object (read by ``bench.peer``): median milliseconds per approval
and per bare insert + commit, statements per approval as Django logs them
(``connection.queries``) and as SQLite executes them (trace callback, which also
sees BEGIN/COMMIT/SAVEPOINT), and the statement listing of one approval.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journal", default="DELETE")
    parser.add_argument("--approvals", type=int, default=200)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="peer-bench-"))
    os.environ["PEER_DB"] = str(workdir / "peer.db")
    os.environ["PEER_JOURNAL"] = args.journal
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, reset_queries, transaction

    call_command("migrate", verbosity=0)
    from approvalflow.flows import ApprovalFlow
    from viewflow.workflow.models import Task

    approver = User.objects.create_user("approver", password=None)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_row (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        sync = cursor.execute("PRAGMA synchronous").fetchone()[0]

    traced: list[str] = []
    connection.ensure_connection()
    connection.connection.set_trace_callback(traced.append)

    class Request:  # what the task view's activation.start(request) is given
        user = approver
        method = "POST"
        GET: dict = {}

    def approve(process_id: int, task_id: int) -> None:
        with ApprovalFlow.lock(process_id), transaction.atomic():
            task = Task.objects.get(pk=task_id)
            activation = task.flow_task.activation_class(task)
            if not task.flow_task.can_execute(approver, task=task):
                raise PermissionError(task_id)
            activation.start(Request())
            process = activation.process
            process.data["approved"] = True
            process.save()
            activation.execute()

    tasks = []
    for _ in range(args.approvals):
        process = ApprovalFlow.start.run()
        task = Task.objects.get(process=process, flow_task=ApprovalFlow.approve)
        tasks.append((process.pk, task.pk))

    times, django_counts, sqlite_counts, listing = [], [], [], []
    for process_id, task_id in tasks:
        reset_queries()
        traced.clear()
        started = time.perf_counter()
        approve(process_id, task_id)
        times.append((time.perf_counter() - started) * 1000)
        django_counts.append(len(connection.queries))
        sqlite_counts.append(len(traced))
        if not listing:
            listing = [q["sql"] for q in connection.queries]
    done = Task.objects.filter(flow_task=ApprovalFlow.end).count()

    base = []
    for i in range(args.approvals):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_row (payload) VALUES (%s)", [f"row {i}"])
        base.append((time.perf_counter() - started) * 1000)

    print(
        json.dumps(
            {
                "journal_mode": mode,
                "synchronous": sync,
                "approvals": len(times),
                "finished": done,
                "approval_ms": statistics.median(times),
                "bare_ms": statistics.median(base),
                "django_statements": statistics.median(django_counts),
                "sqlite_statements": statistics.median(sqlite_counts),
                "listing": listing,
                "django": django.get_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
