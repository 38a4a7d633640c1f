import pytest
from django.urls import reverse

from coalition.models import Member
from coalition.tests.factories import make_member
from tests.factories import make_content_editor, sign_in_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    sign_in_staff(client, make_content_editor())
    return client


def test_content_editor_can_add_a_member(editor_client):
    response = editor_client.post(
        reverse("admin:coalition_member_add"),
        {
            "name": "Kontras",
            "slug": "kontras",
            "acronym": "",
            "kind": "organisation",
            "country": "ID",
            "role": "",
            "description": "",
            "website": "",
            "is_published": "on",
            "ordering": "11",
        },
    )
    assert response.status_code == 302
    member = Member.objects.get(slug="kontras")
    assert member.country.code == "ID"
    assert member.is_published


def test_content_editor_can_publish_and_reorder_from_the_list(editor_client):
    member = make_member(name="Odhikar", is_published=False, ordering=5)
    response = editor_client.post(
        reverse("admin:coalition_member_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(member.pk),
            "form-0-is_published": "on",
            "form-0-ordering": "12",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_published
    assert member.ordering == 12


def test_change_form_links_to_the_member_on_site(editor_client):
    member = make_member(slug="odhikar")
    response = editor_client.get(reverse("admin:coalition_member_change", args=[member.pk]))
    assert response.status_code == 200
    assert b"View on site" in response.content


def test_member_admin_search_finds_by_acronym(editor_client):
    make_member(name="International Federation for Human Rights", acronym="FIDH")
    make_member(name="Odhikar")
    response = editor_client.get(reverse("admin:coalition_member_changelist"), {"q": "fidh"})
    assert [m.name for m in response.context["cl"].result_list] == [
        "International Federation for Human Rights"
    ]


def test_country_filter_offers_only_the_countries_members_have(editor_client):
    make_member(name="Kontras", country="ID")
    make_member(name="Odhikar", country="BD")
    response = editor_client.get(reverse("admin:coalition_member_changelist"), {"country": "ID"})
    assert [m.name for m in response.context["cl"].result_list] == ["Kontras"]
    content = response.content.decode()
    assert "Bangladesh" in content
    assert "Zimbabwe" not in content
