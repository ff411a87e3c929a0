"""The API's reading of the shared filtersets and of query parameters: as strict as the schema."""

import pytest
from rest_framework.test import APIClient

from hotline.models import Role
from tests.factories import CategoryFactory, DistrictFactory, KnowledgeArticleFactory, StreetFactory


@pytest.fixture
def agent_api(make_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_user(Role.AGENT))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/api/v1/tickets/", {"status": ""}, "status"),
        ("/api/v1/tickets/", {"status": "sideways"}, "status"),
        ("/api/v1/tickets/", {"created_after": "yesterday"}, "created"),  # the range, named as a whole
        ("/api/v1/tickets/", {"created_before": ""}, "created_before"),
        ("/api/v1/tickets/", {"district": "one"}, "district"),
        ("/api/v1/units/", {"parent": "1.5"}, "parent"),
        ("/api/v1/units/", {"is_active": "maybe"}, "is_active"),
        ("/api/v1/categories/", {"level": "0.5"}, "level"),
        ("/api/v1/notifications/", {"unread": "null"}, "unread"),
        ("/api/v1/tickets/", {"page_size": "0"}, "page_size"),
        ("/api/v1/tickets/", {"page_size": "ten"}, "page_size"),
        ("/api/v1/units/", {"page": ""}, "page"),
        ("/api/v1/units/search/", {"within": ""}, "within"),
        ("/api/v1/units/search/", {"within": "7.0"}, "within"),
        ("/api/v1/candidates/", {"street": ""}, "street"),
    ],
)
def test_empty_or_absurd_values_are_400_with_the_field_named(agent_api, url, query, field):
    # when a client sends a value the schema does not allow
    response = agent_api.get(url, query)
    # then it is refused, naming the parameter
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == [field]


@pytest.mark.django_db
def test_free_text_may_be_blank_and_a_row_id_that_names_nothing_finds_nothing(agent_api):
    # given an article in a category, and a street
    category = CategoryFactory(level=3)
    article = KnowledgeArticleFactory(title="供暖期时间")
    article.categories.add(category)
    street = StreetFactory(parent=DistrictFactory())
    # when the lists are filtered by blank text, by the category, and by ids that name no row
    blank = agent_api.get("/api/v1/articles/", {"q": ""})
    found = agent_api.get("/api/v1/articles/", {"category": category.pk})
    missing = agent_api.get("/api/v1/articles/", {"category": 987654321})
    queue = agent_api.get("/api/v1/tickets/", {"street": 987654321, "district": street.parent_id})
    # then all are accepted: what matches nothing is an empty page, not an error
    assert [a["id"] for a in blank.json()["results"]] == [article.pk]
    assert [a["id"] for a in found.json()["results"]] == [article.pk]
    assert (missing.status_code, missing.json()["results"]) == (200, [])
    assert (queue.status_code, queue.json()["results"]) == (200, [])


@pytest.mark.django_db
def test_a_page_size_above_the_maximum_gets_the_maximum(agent_api):
    # given more articles than the largest page
    KnowledgeArticleFactory.create_batch(3)
    # when a client asks for more than the maximum per page
    response = agent_api.get("/api/v1/articles/", {"page_size": "100000"})
    # then it gets a page (of at most 200), not an error
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3
