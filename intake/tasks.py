import logging

from celery import shared_task
from django.utils import timezone

from hotline.errors import DomainError
from intake import numbers, services
from intake.classifier.training import train_from_tickets

logger = logging.getLogger(__name__)

# Training reads every ticket and fits the model: minutes at a million tickets, far beyond the
# default task limits (CELERY_TASK_SOFT_TIME_LIMIT / CELERY_TASK_TIME_LIMIT).
TRAINING_SOFT_TIME_LIMIT = 45 * 60
TRAINING_TIME_LIMIT = 50 * 60


@shared_task(soft_time_limit=TRAINING_SOFT_TIME_LIMIT, time_limit=TRAINING_TIME_LIMIT)
def train_category_model() -> int | None:
    """Beat, weekly: a new category model from the tickets, activated; its version (None while
    there is too little to learn from, as on a new installation)."""
    try:
        return train_from_tickets().version
    except DomainError as error:
        logger.info("category model not trained: %s", error.message)
        return None


@shared_task
def rank_recent_suggestions() -> int:
    """Beat, every 30 seconds: where each new ticket's category stood among the model's suggestions."""
    return services.rank_recent_suggestions()


@shared_task
def fold_ticket_number_sequences() -> int:
    """Beat, nightly: the tracking-number sequences of the days before yesterday folded into the
    counter table (intake.numbers); how many."""
    return numbers.fold_past_sequences(today=timezone.localdate())
