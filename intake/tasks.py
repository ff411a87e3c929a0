from celery import shared_task

from intake.classifier.training import train_from_tickets

# Training reads every ticket and fits the model: minutes at a million tickets, far beyond the
# default task limits (CELERY_TASK_SOFT_TIME_LIMIT / CELERY_TASK_TIME_LIMIT).
TRAINING_SOFT_TIME_LIMIT = 45 * 60
TRAINING_TIME_LIMIT = 50 * 60


@shared_task(soft_time_limit=TRAINING_SOFT_TIME_LIMIT, time_limit=TRAINING_TIME_LIMIT)
def train_category_model() -> int:
    """Beat, weekly: a new category model from the tickets, activated; its version."""
    return train_from_tickets().version
