"""Training from the platform's tickets, the versioned model, and the suggestion loader."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from hotline.errors import DomainError
from hotline.models import Category
from intake import tasks
from intake.classifier import suggestions
from intake.classifier.model import TextClassifier
from intake.classifier.training import train_from_tickets
from intake.models import CategoryModel
from tests.conftest import wait_until
from tests.factories import TicketFactory, UserFactory
from tests.intake.classifier_corpus import corpus


def tree(name: str) -> tuple[Category, Category, Category, Category]:
    """A level-1 category, its level-2 child, and two leaves under that."""
    level1 = Category.objects.create(code=f"{name}1", name=f"{name}一级", level=1)
    level2 = Category.objects.create(code=f"{name}2", name=f"{name}二级", level=2, parent=level1)
    leaves = [Category.objects.create(code=f"{name}3{n}", name=f"{name}三级{n}", level=3, parent=level2) for n in "ab"]
    return level1, level2, *leaves


def tickets(category: Category, topic: str, count: int) -> None:
    texts, labels = corpus(per_topic=count)
    for text in [t for t, label in zip(texts, labels, strict=True) if label == topic]:
        TicketFactory(category=category, title="", description=text)


@pytest.fixture(autouse=True)
def _no_loaded_model():
    suggestions.forget_loaded_model()
    yield
    suggestions.forget_loaded_model()


@pytest.mark.django_db
def test_rare_leaves_back_off_to_their_ancestors_and_the_new_version_is_active():
    # Given two well-filled leaves and a rare one (2 tickets) whose level-2 parent has no others
    heating1, _, heating_leaf, rare_leaf = tree("H")
    _, _, noise_leaf, unreported_leaf = tree("N")
    tickets(heating_leaf, "heating", 8)
    tickets(noise_leaf, "noise", 8)
    tickets(rare_leaf, "garbage", 2)
    old = train_from_tickets()
    user = UserFactory()
    # When a user trains again
    new = train_from_tickets(actor=user)
    # Then the rare leaf is learnt as its level-1 ancestor, a leaf nobody reported yet from its
    # name in the tree, and the new version replaces the old
    labels = set(TextClassifier.loads(bytes(new.artefact)).labels.tolist())
    assert labels == {heating_leaf.pk, noise_leaf.pk, heating1.pk, unreported_leaf.pk}
    assert (new.ticket_count, new.label_count, new.trained_by) == (18, 4, user)
    assert new.version > old.version
    assert list(CategoryModel.objects.filter(is_active=True)) == [new]


@pytest.mark.django_db
def test_no_model_means_no_suggestions():
    assert suggestions.category_suggestions(title="暖气", text="暖气不热") == []


@pytest.mark.django_db
def test_suggestions_come_from_the_active_model_and_swap_to_a_newer_version(monkeypatch):
    # Given a model trained on two categories
    _, _, heating_leaf, _ = tree("H")
    _, _, noise_leaf, garbage_leaf = tree("N")
    tickets(heating_leaf, "heating", 8)
    tickets(noise_leaf, "noise", 8)
    train_from_tickets()
    # When suggestions are asked for: the heating category first, with a confidence
    first = suggestions.category_suggestions(title="暖气", text="锅炉坏了暖气不热")
    assert first[0].category_id == heating_leaf.pk
    assert 0 < first[0].confidence <= 1
    # And when a newer version learns a third category, the process swaps to it after the check interval
    tickets(garbage_leaf, "garbage", 8)
    train_from_tickets()
    loaded = suggestions.category_suggestions(title="", text="垃圾没人清运有异味")
    assert loaded[0].category_id != garbage_leaf.pk  # still the loaded version, which knew no garbage
    monkeypatch.setattr(suggestions, "CHECK_INTERVAL_SECONDS", 0.0)
    swapped = suggestions.category_suggestions(title="", text="垃圾没人清运有异味")
    assert swapped[0].category_id == garbage_leaf.pk


@pytest.mark.slow
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_weekly_task_trains_a_model_through_a_worker(celery_worker):
    _, _, heating_leaf, noise_leaf = tree("H")
    tickets(heating_leaf, "heating", 6)
    tickets(noise_leaf, "noise", 6)
    tasks.train_category_model.delay()
    wait_until(lambda: CategoryModel.objects.filter(is_active=True, trained_by=None).exists(), timeout=60)


@pytest.mark.django_db
def test_the_command_trains_from_tickets_and_info_shows_the_active_version():
    _, _, heating_leaf, noise_leaf = tree("H")
    tickets(heating_leaf, "heating", 6)
    tickets(noise_leaf, "noise", 6)
    assert "no active category model" in run_command("info")
    trained = run_command("train")
    version = CategoryModel.objects.get(is_active=True).version
    assert f"active version {version}" in trained
    assert "on 12 tickets, 2 categories" in trained
    assert f"active version {version}" in run_command("info")


@pytest.mark.django_db
def test_too_few_categories_is_no_model_and_no_failure():
    # Given tickets of a single category, the only active one of the tree
    _, _, heating_leaf, other_leaf = tree("H")
    Category.objects.filter(pk=other_leaf.pk).update(is_active=False)
    tickets(heating_leaf, "heating", 6)
    # Then the service refuses, the command says why, the weekly task just skips
    with pytest.raises(DomainError) as refused:
        train_from_tickets()
    assert refused.value.code == "too_few_categories"
    with pytest.raises(CommandError):
        run_command("train")
    assert tasks.train_category_model() is None
    assert not CategoryModel.objects.exists()


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("category_model", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_admin_lists_and_shows_versions_read_only(admin_client):
    category_model = CategoryModel.objects.create(
        ticket_count=10, label_count=2, cv_macro_f1=0.8, artefact=b"x" * 100, is_active=True
    )
    listing = admin_client.get(reverse("admin:intake_categorymodel_changelist"))
    assert listing.status_code == 200
    assert str(category_model.version) in listing.content.decode()
    page = admin_client.get(reverse("admin:intake_categorymodel_change", args=[category_model.version]))
    assert page.status_code == 200
    assert "xxxxxxxx" not in page.content.decode()
    assert admin_client.get(reverse("admin:intake_categorymodel_add")).status_code == 403
