"""The demo's monthly topics: adopted from the demo data, with measures and progress, loaded twice the same."""

import pytest

from hotline import demo as hotline_demo
from hotline.models import User
from intake import demo as intake_demo
from topics import demo, selectors
from topics.models import Topic, TopicMeasure


@pytest.mark.django_db
def test_the_demo_adopts_topics_with_measures_and_progress_and_is_idempotent(beijing):
    hotline_demo.load(password="demo-pass-123")
    intake_demo.load(password="demo-pass-123")
    first = demo.load(password="demo-pass-123")
    second = demo.load(password="demo-pass-123")
    assert first == ["Monthly topics: 4 adopted (4 in the demo)."]
    assert second == ["Monthly topics: 0 adopted (4 in the demo)."]
    assert Topic.objects.count() == 4
    assert TopicMeasure.objects.filter(done_at__isnull=False).count() == 4
    # The demo street's officer sees the parking topic it leads, with its own progress
    xincun = User.objects.get(username="xincun")
    [parking] = selectors.visible_topics(user=xincun)
    assert parking.title == "老旧小区停车难"
    assert parking.progress.get().unit.name == "新村街道"
