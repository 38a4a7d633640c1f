import pytest
from django.urls import reverse

from coalition.models import Member
from coalition.tests.factories import make_member

pytestmark = pytest.mark.django_db

URL = reverse("coalition:member-list")


def test_lists_published_members_and_hides_drafts(client):
    make_member(name="Amnesty International", slug="amnesty-international")
    make_member(name="Secret draft", is_published=False)
    response = client.get(URL)
    assert response.status_code == 200
    assert b"Amnesty International" in response.content
    assert b"Secret draft" not in response.content


def test_member_shows_anchor_acronym_role_description_and_website(client):
    make_member(
        name="International Federation for Human Rights",
        slug="international-federation-for-human-rights",
        acronym="FIDH",
        role="Founding organisation of the campaign launch in Tokyo (9 September)",
        description="One of the world's three largest international human rights organisations.",
        website="https://example.org/fidh",
    )
    response = client.get(URL)
    content = response.content.decode()
    assert 'id="international-federation-for-human-rights"' in content
    assert "(FIDH)" in content
    assert "Founding organisation of the campaign launch in Tokyo (9 September)" in content
    assert "three largest international human rights organisations" in content
    assert 'href="https://example.org/fidh" rel="noopener"' in content


def test_members_are_grouped_by_country_with_international_group_first(client):
    make_member(name="Helping Hands Korea", country="KR")
    make_member(name="David Hawk", kind=Member.Kind.INDIVIDUAL)
    make_member(name="Open Radio North Korea", country="KR")
    groups = client.get(URL).context["groups"]
    assert [g["label"] for g in groups] == ["International / no country given", "South Korea"]
    assert [m.name for m in groups[1]["members"]] == ["Helping Hands Korea", "Open Radio North Korea"]


def test_counts_per_country_and_kind_are_shown(client):
    for _ in range(3):
        make_member(country="KR")
    make_member(country="US", kind=Member.Kind.INDIVIDUAL)
    make_member(country="US", is_published=False)
    response = client.get(URL)
    counts = {c["code"]: c["count"] for c in response.context["country_counts"]}
    assert counts == {"KR": 3, "US": 1}
    kinds = {k["value"]: k["count"] for k in response.context["kind_counts"]}
    assert kinds == {"organisation": 3, "individual": 1}
    assert response.context["total_published"] == 4
    assert b"South Korea (3)" in response.content


def test_country_filter_shows_only_that_country(client):
    make_member(name="Helping Hands Korea", country="KR")
    make_member(name="Freedom House", country="US")
    response = client.get(URL, {"country": "kr"})
    assert response.status_code == 200
    assert b"Helping Hands Korea" in response.content
    assert b"Freedom House" not in response.content
    assert b"Showing 1 member from South Korea" in response.content


def test_country_filter_none_shows_members_without_country(client):
    make_member(name="Human Rights Watch")
    make_member(name="Freedom House", country="US")
    response = client.get(URL, {"country": "none"})
    assert [m.name for m in response.context["members"]] == ["Human Rights Watch"]


def test_kind_filter_shows_only_individuals(client):
    make_member(name="Suzanne Scholte", kind=Member.Kind.INDIVIDUAL, country="US")
    make_member(name="Freedom House", country="US")
    response = client.get(URL, {"kind": "individual"})
    assert [m.name for m in response.context["members"]] == ["Suzanne Scholte"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"country": "XX"}, "not a country code we know"),
        ({"country": "Korea"}, "not a country code we know"),
        ({"kind": "robot"}, "not a kind of member"),
    ],
)
def test_invalid_filter_values_are_explained_and_show_everyone(client, params, message):
    make_member(name="Freedom House", country="US")
    response = client.get(URL, params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert b"Freedom House" in response.content


def test_list_is_paginated_and_keeps_the_filter(client):
    for _ in range(105):
        make_member(country="KR")
    first = client.get(URL, {"country": "KR"})
    assert len(first.context["members"]) == 100
    assert b'href="?country=KR&amp;page=2"' in first.content
    second = client.get(URL, {"country": "KR", "page": 2})
    assert len(second.context["members"]) == 5


def test_page_has_meta_description_and_og_tags(client):
    make_member()
    content = client.get(URL).content.decode()
    assert "organisations and individuals of the International Coalition to Stop Crimes" in content
    assert '<meta property="og:title" content="The coalition' in content
