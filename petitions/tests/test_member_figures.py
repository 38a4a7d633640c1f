"""A member's own figures: a private, signed, revocable link; the admin's view of them; the ranking."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from coalition.tests.factories import make_member
from petitions.admin.members import figures_link
from petitions.models import StaffAction
from petitions.services import tokens
from petitions.tests.factories import make_petition, make_signature
from tests.factories import CONTENT_EDITORS, make_staff_user, sign_in_staff

pytestmark = pytest.mark.django_db

SIGNER_NAME = "Secret Signer Name"
SIGNER_EMAIL = "secret-signer@example.org"


@pytest.fixture(autouse=True)
def fresh_figures(settings):
    settings.PETITION_COUNT_MAX_AGE = 0


@pytest.fixture
def member():
    return make_member(name="Referring NGO", slug="referring-ngo")


@pytest.fixture
def petition():
    return make_petition(title="UN Commission of Inquiry", slug="coi", consent_text=None)


@pytest.fixture
def editor_client(client):
    sign_in_staff(client, make_staff_user(CONTENT_EDITORS))
    return client


def figures_url(member):
    return reverse("petitions:member-figures", kwargs={"token": tokens.make_figures_token(member=member)})


def bring(petition, member, *, n, country="KR", days_ago=0, **fields):
    at = timezone.now() - datetime.timedelta(days=days_ago)
    for _ in range(n):
        make_signature(
            petition, state="confirmed", referrer=member, country=country, confirmed_at=at, **fields
        )


def test_stats_page_shows_the_signatures_brought_per_day_and_country_and_numbers_only(
    client, petition, member
):
    bring(petition, member, n=1, country="KR", name=SIGNER_NAME, email=SIGNER_EMAIL, show_name=True)
    bring(petition, member, n=2, country="KR")
    bring(petition, member, n=2, country="JP", days_ago=2)
    make_signature(petition, state="confirmed", country="FR")  # brought by nobody
    make_signature(petition, state="pending", referrer=member, country="DE")  # not confirmed
    response = client.get(figures_url(member))
    assert response.status_code == 200
    body = response.content.decode()
    assert "5 confirmed signatures brought." in body
    assert '<tr><th scope="row">South Korea</th><td class="text-end">3</td></tr>' in body
    assert '<tr><th scope="row">Japan</th><td class="text-end">2</td></tr>' in body
    assert "France" not in body and "Germany" not in body
    # Three days, the middle one without signatures, each in the table beside the chart.
    assert body.count('class="chart-bar"') == 3
    assert SIGNER_NAME not in body and SIGNER_EMAIL not in body and "@example.org" not in body


def test_stats_page_is_never_cached_indexed_or_leaked_through_the_referrer(client, member):
    response = client.get(figures_url(member))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()
    assert response.get("X-Page-Cache") != "hit"
    assert client.get(figures_url(member)).get("X-Page-Cache") != "hit"


def test_a_tampered_link_is_a_404(client, member):
    token = tokens.make_figures_token(member=member)
    other = make_member()
    forged = tokens.make_figures_token(member=other).split(":")[0] + ":" + token.split(":", 1)[1]
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "nonsense", token + "x"):
        url = reverse("petitions:member-figures", kwargs={"token": bad})
        assert client.get(url).status_code == 404, bad


def test_a_revoked_link_is_a_404_and_the_new_one_works_and_the_revocation_is_logged(
    editor_client, client, member
):
    old = figures_url(member)
    assert client.get(old).status_code == 200
    response = editor_client.post(
        reverse("admin:coalition_member_changelist"),
        {"action": "revoke_figures_link", "_selected_action": [member.pk]},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert client.get(old).status_code == 404
    assert client.get(figures_url(member)).status_code == 200
    entry = StaffAction.objects.get(action=StaffAction.Action.REVOKE_FIGURES_LINK)
    assert entry.rows == 1 and str(member.pk) in entry.detail


def test_link_of_a_deleted_member_is_a_404(client, member):
    url = figures_url(member)
    member.delete()
    assert client.get(url).status_code == 404


def test_admin_shows_the_link_and_the_same_figures_to_content_editors(editor_client, petition, member):
    bring(petition, member, n=1, country="KR", name=SIGNER_NAME, email=SIGNER_EMAIL)
    bring(petition, member, n=3, country="KR")
    response = editor_client.get(reverse("admin:coalition_member_change", args=[member.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert figures_link(member) in body
    assert "UN Commission of Inquiry: 4 confirmed" in body
    assert '<th scope="row">KR</th><td>4</td>' in body
    assert SIGNER_NAME not in body and SIGNER_EMAIL not in body


def test_ranking_is_not_shown_unless_staff_switch_it_on(client, petition, member):
    bring(petition, member, n=2)
    body = client.get(reverse("coalition:member-list")).content.decode()
    assert "Members who brought the most signatures" not in body


def test_ranking_lists_members_by_signatures_brought_when_switched_on(
    client, petition, member, django_assert_max_num_queries
):
    petition.show_member_ranking = True
    petition.save()
    second = make_member(name="Second NGO")
    make_member(name="Quiet NGO")
    hidden = make_member(name="Unpublished NGO", is_published=False)
    bring(petition, second, n=1)
    bring(petition, member, n=3)
    bring(petition, hidden, n=5)
    with django_assert_max_num_queries(14):
        body = client.get(reverse("coalition:member-list")).content.decode()
    start = body.index("Members who brought the most signatures")
    table = body[start : body.index("</table>", start)]
    assert table.index("Referring NGO") < table.index("Second NGO")
    assert '<a href="#referring-ngo">Referring NGO</a></th><td class="text-end">3</td>' in table
    assert "Quiet NGO" not in table and "Unpublished NGO" not in table
