"""Background jobs of the reports app (django-q2); the work is in task_report."""

from fleetmaint.reports import task_report


def build_task_report(job_id: int) -> None:
    task_report.job_run(job_id)


def cleanup_reports() -> int:
    return task_report.jobs_cleanup()
