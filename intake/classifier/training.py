"""Service: train a category model from the platform's own tickets and activate it."""

import logging
import time
import warnings
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from hotline.errors import DomainError
from hotline.models import Category, User
from intake.classifier.model import TextClassifier, cross_validated_score
from intake.classifier.text import ticket_text
from intake.models import CategoryModel, Ticket

logger = logging.getLogger(__name__)

# A category with fewer tickets than this is learnt as its parent (a leaf as its level-2
# category, that as its level-1 one): a handful of examples teach a classifier nothing.
MIN_EXAMPLES_PER_CATEGORY = 5
# The training budget at scale: the newest tickets of each category, at most this many. Common
# categories lose nothing to the cap (their vocabulary is learnt from every ticket) and rare ones
# weigh more; it bounds time and memory at millions of tickets.
MAX_TICKETS_PER_CATEGORY = 300
# Cross-validation (the artefact's score) runs on a sample of this many tickets.
CV_SAMPLE = 5_000


@dataclass(slots=True)
class TicketCorpus:
    texts: list[str]  # the tickets' labelled texts, then the seeds (the tree's own words)
    labels: list[int]
    unlabelled_texts: list[str]
    ticket_count: int
    seed_count: int


def backed_off_labels(
    *, counts: Counter[int], parents: dict[int, int | None], levels: dict[int, int]
) -> dict[int, int]:
    """Each category's training label: itself if it has at least MIN_EXAMPLES_PER_CATEGORY tickets
    (its own plus those of rarer children backed off to it), else its parent's label, up to level 1."""
    totals = Counter(counts)
    label = {category: category for category in counts}
    for level in (3, 2):
        for category in [c for c in totals if levels[c] == level and totals[c] < MIN_EXAMPLES_PER_CATEGORY]:
            parent = parents[category]
            if parent is None:
                continue
            totals[parent] += totals.pop(category)
            for original, current in label.items():
                if current == category:
                    label[original] = parent
    return label


def ticket_corpus(*, max_tickets: int | None = None) -> TicketCorpus:
    """Tickets' text and category, newest first, streamed; the newest MAX_TICKETS_PER_CATEGORY of
    each (backed-off) category are the labelled texts, the rest only shape the vocabulary."""
    rows = Ticket.objects.order_by("-id").values_list("title", "description", "category_id")
    if max_tickets is not None:
        rows = rows[:max_tickets]
    texts: list[str] = []
    categories: list[int] = []
    for title, description, category_id in rows.iterator(chunk_size=5_000):
        texts.append(ticket_text(title=title, text=description))
        categories.append(category_id)
    tree = {pk: (parent, level) for pk, parent, level in Category.objects.values_list("id", "parent_id", "level")}
    label_of = backed_off_labels(
        counts=Counter(categories),
        parents={pk: parent for pk, (parent, _) in tree.items()},
        levels={pk: level for pk, (_, level) in tree.items()},
    )
    taken: Counter[int] = Counter()
    corpus = TicketCorpus(texts=[], labels=[], unlabelled_texts=[], ticket_count=len(texts), seed_count=0)
    for text, category_id in zip(texts, categories, strict=True):
        label = label_of[category_id]
        if taken[label] < MAX_TICKETS_PER_CATEGORY:
            taken[label] += 1
            corpus.texts.append(text)
            corpus.labels.append(label)
        else:
            corpus.unlabelled_texts.append(text)
    # The tree's own words: each active leaf is one example of itself (or of the ancestor its few
    # tickets were backed off to), so that a category nobody has reported yet can still be
    # suggested when a caller names it (a new installation starts from the tree alone).
    names = dict(Category.objects.values_list("id", "name"))
    for leaf in Category.objects.filter(level=3, is_active=True).values_list("id", flat=True):
        path = [leaf]
        while tree[path[-1]][0] is not None:
            path.append(tree[path[-1]][0])
        corpus.texts.append(" ".join(names[pk] for pk in reversed(path)))
        corpus.labels.append(label_of.get(leaf, leaf))
        corpus.seed_count += 1
    return corpus


def train_from_tickets(*, actor: User | None = None, max_tickets: int | None = None) -> CategoryModel:
    """Train on the platform's tickets (the newest `max_tickets`, or all), save the artefact as a
    new version and make it the active one. DomainError while tickets and tree together span fewer
    than two categories: there is nothing to learn."""
    started = time.monotonic()
    corpus = ticket_corpus(max_tickets=max_tickets)
    if len(set(corpus.labels)) < 2:
        raise DomainError(
            "too_few_categories", _("At least two categories, in the tickets and the tree, are needed to train.")
        )
    with warnings.catch_warnings():
        # A young installation has about one example (the tree's words) per category: expected.
        warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%")
        classifier = TextClassifier().fit(
            texts=corpus.texts, labels=corpus.labels, unlabelled_texts=corpus.unlabelled_texts
        )
    # Scored on the tickets alone: the seeds are one example per category, nothing to validate on.
    # The sample is scored the way the model was trained: without the latent block when the
    # whole set was too large for it (which also keeps the score cheap at scale).
    tickets = len(corpus.texts) - corpus.seed_count
    options = {"lsa_max_labelled": 0} if len(corpus.texts) > classifier.lsa_max_labelled else {}
    score = cross_validated_score(
        texts=corpus.texts[:tickets], labels=corpus.labels[:tickets], max_samples=CV_SAMPLE, **options
    )
    artefact = classifier.dumps()
    with transaction.atomic():
        CategoryModel.objects.select_for_update().filter(is_active=True).update(is_active=False)
        category_model = CategoryModel.objects.create(
            trained_by=actor,
            ticket_count=corpus.ticket_count,
            label_count=len(classifier.labels),
            cv_macro_f1=score,
            artefact=artefact,
            is_active=True,
        )
    logger.info(
        "category model v%s: %s tickets, %s labels, macro-F1 %s, %s bytes, %.0f s",
        category_model.version,
        corpus.ticket_count,
        category_model.label_count,
        score,
        len(artefact),
        time.monotonic() - started,
    )
    return category_model
