"""What the coalition's directory and member admin show of the signatures each member brought."""

import pytest
from django.urls import reverse

from coalition.models import Member
from coalition.tests.factories import make_member
from petitions.admin.members import MemberWithSignaturesAdmin
from petitions.tests.factories import make_signature
from tests.factories import make_content_editor, sign_in_staff

pytestmark = pytest.mark.django_db
URL = "/en/coalition/"


@pytest.fixture
def editor_client(client):
    sign_in_staff(client, make_content_editor())
    return client


def test_confirmed_signatures_brought_are_shown_only_when_any(client):
    bringer = make_member(name="Liberty in North Korea", slug="liberty-in-north-korea", country="US")
    make_member(name="No Fence", slug="no-fence", country="JP")
    make_signature(referrer=bringer, state="confirmed")
    make_signature(referrer=bringer, state="confirmed")
    make_signature(referrer=bringer, state="pending")
    make_signature(referrer=bringer, state="withdrawn")
    response = client.get(URL)
    assert response.content.decode().count("confirmed signature") == 1
    assert b"Brought 2 confirmed signatures" in response.content


def test_page_runs_few_queries_whatever_the_number_of_members(client, django_assert_max_num_queries):
    countries = ["KR", "US", "JP", "CA", ""]
    for i in range(300):
        member = make_member(
            country=countries[i % 5], kind=Member.Kind.INDIVIDUAL if i % 7 == 0 else "organisation"
        )
        if i % 10 == 0:
            make_signature(referrer=member, state="confirmed")
    with django_assert_max_num_queries(5):
        response = client.get(URL)
    assert response.status_code == 200
    with django_assert_max_num_queries(5):
        client.get(URL, {"country": "KR", "kind": "individual"})


def test_content_editor_sees_members_with_signature_counts(editor_client):
    member = make_member(name="Han Voice", country="CA")
    make_signature(referrer=member, state="confirmed")
    response = editor_client.get(reverse("admin:coalition_member_changelist"))
    assert response.status_code == 200
    assert b"Han Voice" in response.content
    assert response.context["cl"].result_list[0].confirmed_signatures == 1


def test_members_sort_by_the_confirmed_signatures_they_brought(editor_client):
    few = make_member(name="Few")
    many = make_member(name="Many")
    none = make_member(name="None yet")
    make_signature(referrer=few, state="confirmed")
    make_signature(referrer=many, state="confirmed")
    make_signature(referrer=many, state="confirmed")
    make_signature(referrer=many, state="pending")
    make_signature(referrer=none, state="withdrawn")
    column = MemberWithSignaturesAdmin.list_display.index("confirmed_signatures") + 1
    response = editor_client.get(reverse("admin:coalition_member_changelist"), {"o": f"-{column}"})
    assert response.status_code == 200
    rows = [(m.name, m.confirmed_signatures) for m in response.context["cl"].result_list]
    assert rows == [("Many", 2), ("Few", 1), ("None yet", 0)]
