from celery import shared_task

from evaluation import callbacks as callback_services
from evaluation import rankings as ranking_services


@shared_task
def compute_previous_month() -> list[int]:
    """Beat: on the 1st of each month (Asia/Shanghai), publish last month's rankings."""
    return [ranking.pk for ranking in ranking_services.compute_previous_month()]


@shared_task
def open_due_callbacks() -> int:
    """Beat: every minute, callbacks that became due (replies, missed deadlines)."""
    return callback_services.open_due_callbacks()


@shared_task
def sweep_overdue_callbacks() -> int:
    """Beat, every minute: abandoned callbacks closed as not reached, the hourly overdue digest."""
    return callback_services.sweep_overdue_callbacks().given_up
