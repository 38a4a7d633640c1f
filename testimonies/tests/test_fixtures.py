import pytest
from django.core.management import call_command
from django.urls import reverse

from testimonies import models

pytestmark = pytest.mark.django_db


@pytest.fixture
def article_content():
    call_command("loaddata", "fixtures/coalition.json", "fixtures/testimonies.json", verbosity=0)


def test_every_graphic_passage_of_the_article_is_folded_on_its_page(client, article_content):
    for testimony in models.Testimony.objects.published():
        content = client.get(testimony.get_absolute_url()).content.decode()
        graphic = testimony.passages.filter(is_graphic=True)
        assert content.count("<details") == graphic.count() > 0
        for passage in graphic:
            assert f"Content warning: {passage.warning}. Show passage" in content
        # Summaries carry no graphic detail: the passages' text is not in them.
        for passage in graphic:
            assert passage.text not in testimony.summary


def test_article_topics_are_assigned(client, article_content):
    response = client.get(reverse("testimonies:list"), {"topic": "guilt-by-association"})
    assert [t.name for t in response.context["testimonies"]] == ["Kim Hye Sook", "Shin Dong Hyuk"]
    response = client.get(reverse("testimonies:list"), {"topic": "torture"})
    assert [t.name for t in response.context["testimonies"]] == [
        "Lee Sung Ae",
        "Jung Guang Il",
        "Shin Dong Hyuk",
    ]


def test_coalition_page_shows_all_29_members_of_the_article(client, article_content):
    response = client.get(reverse("coalition:member-list"))
    assert response.context["paginator"].count == 29
    content = response.content.decode()
    assert "Suzanne Scholte" in content
    assert "Author of Hidden Gulag" in content
    assert "International / no country given" in content
