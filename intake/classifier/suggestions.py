"""Selector: category suggestions from the active category model, loaded once per process.

The process keeps one (version, classifier) reference. At most every CHECK_INTERVAL_SECONDS a
request asks the database for the active version (an index-only lookup on the partial unique
index); when it changed, that request loads the new artefact outside any lock and replaces the
reference in one assignment, so concurrent requests use either the old or the new model whole.
"""

import logging
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from intake.classifier.model import ClassifierFormatError, TextClassifier
from intake.classifier.text import ticket_text
from intake.models import CategoryModel

logger = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class CategorySuggestion:
    category_id: int
    confidence: float


@dataclass(frozen=True, slots=True)
class _Loaded:
    version: int | None
    classifier: TextClassifier | None
    checked_at: float


_loaded = _Loaded(version=None, classifier=None, checked_at=float("-inf"))
# Only one thread per process checks (and loads) at a time; the others keep serving the current model.
_checking = threading.Lock()


def _current() -> _Loaded:
    global _loaded
    loaded = _loaded
    if time.monotonic() - loaded.checked_at < CHECK_INTERVAL_SECONDS or not _checking.acquire(blocking=False):
        return loaded
    try:
        active = CategoryModel.objects.filter(is_active=True).values_list("version", flat=True).first()
        if active == loaded.version:
            _loaded = _Loaded(version=loaded.version, classifier=loaded.classifier, checked_at=time.monotonic())
            return _loaded
        classifier = None
        if active is not None:
            artefact = CategoryModel.objects.filter(version=active).values_list("artefact", flat=True).first()
            try:
                classifier = TextClassifier.loads(bytes(artefact)) if artefact is not None else None
            except ClassifierFormatError:
                logger.exception("category model v%s cannot be loaded; no suggestions", active)
        _loaded = _Loaded(version=active, classifier=classifier, checked_at=time.monotonic())
        return _loaded
    finally:
        _checking.release()


def _predict(classifier: TextClassifier, texts: Sequence[tuple[str, str]], k: int) -> list[list[CategorySuggestion]]:
    """Each (title, text)'s k most likely categories, in one batch; [] for an empty text."""
    wanted = [index for index, (title, text) in enumerate(texts) if title.strip() or text.strip()]
    found: list[list[CategorySuggestion]] = [[] for _ in texts]
    predictions = classifier.predict_batch([ticket_text(title=texts[i][0], text=texts[i][1]) for i in wanted], k=k)
    for index, top in zip(wanted, predictions, strict=True):
        found[index] = [CategorySuggestion(category_id=int(label), confidence=confidence) for label, confidence in top]
    return found


def category_suggestions_of(*, texts: Sequence[tuple[str, str]], k: int = 5) -> list[list[CategorySuggestion]]:
    """For each (title, text), its k most likely categories, most likely first; [] without a model."""
    classifier = _current().classifier
    return _predict(classifier, texts, k) if classifier is not None else [[] for _ in texts]


def category_suggestions(*, title: str, text: str, k: int = 5) -> list[CategorySuggestion]:
    """The k most likely categories of a ticket's text, most likely first; [] without a model."""
    return category_suggestions_of(texts=[(title, text)], k=k)[0]


@dataclass(frozen=True, slots=True)
class SuggestionRank:
    model_version: int
    rank: int  # 1–k: the recorded category was the n-th suggestion; 0: not among them


def suggestion_rank(*, category_chain: Collection[int], title: str, text: str, k: int = 5) -> SuggestionRank | None:
    """Where the recorded category stood among the active model's k suggestions for the text (the
    acceptance rate of smart dispatch); None without a model. `category_chain` is the category and
    its ancestors: a suggestion of the category above it counts, the model knew no deeper."""
    loaded = _current()
    if loaded.classifier is None or loaded.version is None or not (title.strip() or text.strip()):
        return None
    (found,) = _predict(loaded.classifier, [(title, text)], k)
    rank = next((position for position, s in enumerate(found, 1) if s.category_id in category_chain), 0)
    return SuggestionRank(model_version=loaded.version, rank=rank)


def forget_loaded_model() -> None:
    """Drop the process's model so the next call reads the database (tests, after training here)."""
    global _loaded
    _loaded = _Loaded(version=None, classifier=None, checked_at=float("-inf"))
