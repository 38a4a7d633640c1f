import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from testimonies.tests.factories import make_passage, make_testimony, make_topic

pytestmark = pytest.mark.django_db

LIST_URL = reverse("testimonies:list")


def detail_url(testimony):
    return reverse("testimonies:detail", kwargs={"slug": testimony.slug})


def test_list_shows_published_summaries_and_topics_but_no_drafts(client):
    torture = make_topic(name="Torture", slug="torture")
    make_testimony(name="Jung Guang Il", summary="He was subjected to beatings.", topics=[torture])
    make_testimony(name="Unpublished survivor", is_published=False)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Jung Guang Il" in content
    assert "He was subjected to beatings." in content
    assert '<a href="?topic=torture">Torture</a>' in content
    assert "Unpublished survivor" not in content


def test_topic_filter_shows_only_that_topic(client):
    labour = make_topic(name="Forced labour", slug="forced-labour")
    make_testimony(name="Kim Hye Sook", topics=[labour])
    make_testimony(name="Lee Sung Ae")
    response = client.get(LIST_URL, {"topic": "forced-labour"})
    assert [t.name for t in response.context["testimonies"]] == ["Kim Hye Sook"]
    assert b"<h1>Testimonies: Forced labour</h1>" in response.content


def test_unknown_topic_is_explained_and_shows_every_testimony(client):
    make_testimony(name="Lee Sung Ae")
    response = client.get(LIST_URL, {"topic": "no-such-topic"})
    assert response.status_code == 200
    assert "There is no such topic" in response.content.decode()
    assert b"Lee Sung Ae" in response.content


def test_topic_with_only_drafts_is_not_offered(client):
    hidden = make_topic(name="Hidden topic", slug="hidden-topic")
    make_testimony(is_published=False, topics=[hidden])
    response = client.get(LIST_URL)
    assert b"Hidden topic" not in response.content


def test_list_is_paginated_and_keeps_the_topic(client):
    torture = make_topic(slug="torture")
    for _ in range(25):
        make_testimony(topics=[torture])
    first = client.get(LIST_URL, {"topic": "torture"})
    assert len(first.context["testimonies"]) == 20
    assert b'href="?topic=torture&amp;page=2"' in first.content
    second = client.get(LIST_URL, {"topic": "torture", "page": "2"})
    assert len(second.context["testimonies"]) == 5


def test_list_runs_few_queries_whatever_the_number_of_testimonies(client, django_assert_max_num_queries):
    topics = [make_topic() for _ in range(5)]
    for i in range(200):
        make_testimony(topics=topics[: i % 5 + 1])
    with django_assert_max_num_queries(5):
        assert client.get(LIST_URL).status_code == 200
    # One more, once per content version and process: the topics' slugs the page cache keys on.
    with django_assert_max_num_queries(6):
        assert client.get(LIST_URL, {"topic": topics[0].slug, "page": "3"}).status_code == 200


def test_detail_shows_facts_topics_body_and_passages_in_order(client):
    testimony = make_testimony(
        name="Kim Hye Sook",
        summary="She spent 28 years in the gulag.",
        body="Context paragraph.",
        detention_place="Camp No. 14",
        years_detained=28,
        age_when_imprisoned=13,
        given_at="the British Parliament",
        source="Willy Fautré, Human Rights Without Frontiers",
        topics=[make_topic(name="Child detention", slug="child-detention")],
    )
    make_passage(testimony, position=2, text="Second passage.")
    make_passage(testimony, position=1, text="First passage.")
    response = client.get(detail_url(testimony))
    assert response.status_code == 200
    content = response.content.decode()
    for fact in [
        "<h1>Kim Hye Sook</h1>",
        "She spent 28 years in the gulag.",
        "Camp No. 14",
        '<dt class="col-sm-4">Years detained</dt><dd class="col-sm-8">28</dd>',
        '<dt class="col-sm-4">Age when imprisoned</dt><dd class="col-sm-8">13</dd>',
        "the British Parliament",
        "Willy Fautré, Human Rights Without Frontiers",
        "Child detention",
        "Context paragraph.",
    ]:
        assert fact in content
    assert content.index("First passage.") < content.index("Second passage.")


def test_graphic_passage_is_folded_behind_its_warning(client):
    testimony = make_testimony()
    make_passage(testimony, position=1, text="A calm passage.")
    make_passage(testimony, position=2, text="Graphic detail.", is_graphic=True, warning="describes torture")
    response = client.get(detail_url(testimony))
    content = response.content.decode()
    assert (
        '<details class="passage passage-graphic mb-3 border rounded p-2">'
        "<summary>Content warning: describes torture. Show passage</summary>"
    ) in "".join(line.strip() for line in content.splitlines())
    # The general warning comes once, right before the first graphic passage, not before calm ones.
    assert content.count('id="content-warning"') == 1
    assert content.index("A calm passage.") < content.index('id="content-warning"')
    assert content.index('id="content-warning"') < content.index("Graphic detail.")
    assert content.index("<details") < content.index("Graphic detail.") < content.index("</details>")


def test_testimony_without_graphic_passages_has_no_warning(client):
    testimony = make_testimony()
    make_passage(testimony, text="A calm passage.")
    content = client.get(detail_url(testimony)).content.decode()
    assert "<details" not in content
    assert 'id="content-warning"' not in content


def test_draft_is_404_for_the_public_and_for_non_staff(client):
    draft = make_testimony(is_published=False)
    assert client.get(detail_url(draft)).status_code == 404
    client.force_login(User.objects.create(username="visitor"))
    assert client.get(detail_url(draft)).status_code == 404


def test_staff_preview_a_draft_with_a_banner_kept_out_of_caches_and_search(client):
    draft = make_testimony(name="Draft survivor", is_published=False, consent_basis="")
    client.force_login(User.objects.create(username="staff", is_staff=True))
    response = client.get(detail_url(draft))
    assert response.status_code == 200
    assert b"Draft preview." in response.content
    assert b'<meta name="robots" content="noindex, nofollow">' in response.content
    assert "no-store" in response["Cache-Control"]


def test_published_testimony_has_no_preview_banner_for_staff(client):
    testimony = make_testimony()
    client.force_login(User.objects.create(username="staff", is_staff=True))
    assert b"Draft preview" not in client.get(detail_url(testimony)).content


def test_detail_has_meta_description_og_tags_and_canonical(client):
    testimony = make_testimony(
        name="Shin Dong Hyuk", slug="shin-dong-hyuk", summary="Born in Camp No. 14 in 1982."
    )
    content = client.get(detail_url(testimony)).content.decode()
    assert '<meta name="description" content="Born in Camp No. 14 in 1982.">' in content
    assert '<meta property="og:title" content="Shin Dong Hyuk: a survivor\'s testimony">' in content
    assert '<meta property="og:type" content="article">' in content
    assert '<link rel="canonical" href="http://testserver/en/testimonies/shin-dong-hyuk/">' in content


def test_detail_runs_few_queries_whatever_the_number_of_passages(client, django_assert_max_num_queries):
    testimony = make_testimony(topics=[make_topic() for _ in range(5)])
    for position in range(100):
        make_passage(testimony, position=position, is_graphic=position % 2 == 0, warning="describes torture")
    with django_assert_max_num_queries(4):
        assert client.get(detail_url(testimony)).status_code == 200
