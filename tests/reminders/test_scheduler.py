"""The job table: small, fixed, in memory, each job coalesced and alone."""

from __future__ import annotations

from tracker.scheduler import build, job_table


def test_the_job_table_has_every_periodic_job(app):
    ids = [job.id for job in job_table(app)]
    assert ids == [
        "sweep_reminders",
        "send_outbox",
        "close_timers",
        "top_up_reminders",
        "daily_digest",
        "weekly_digest",
        "periodic_reviews",
        "housekeeping",
    ]


def test_jobs_coalesce_run_alone_and_forgive_late_starts(app):
    scheduler = build(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {job.id for job in job_table(app)}
    for job in jobs.values():
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time >= 3600
    assert str(jobs["daily_digest"].trigger.timezone) == "Europe/Athens"
    assert "day_of_week='mon'" in str(jobs["weekly_digest"].trigger)


def test_digests_are_not_sent_again_on_every_restart(app):
    catch_up = {job.id for job in job_table(app) if job.catch_up}
    assert "daily_digest" not in catch_up and "weekly_digest" not in catch_up
    assert {"sweep_reminders", "send_outbox", "close_timers"} <= catch_up
