"""The public page of confirmed signatures by country."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from petitions.models import Petition, Signature
from petitions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db

S = Signature.State


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def url(petition):
    return reverse("petitions:countries", kwargs={"slug": petition.slug})


def test_table_counts_confirmed_signatures_by_country_largest_first(client):
    petition = make_petition(consent_text=None)
    for _ in range(3):
        make_signature(petition, country="KR", state="confirmed")
    make_signature(petition, country="JP", state="confirmed")
    make_signature(petition, country="", state="confirmed")
    response = client.get(url(petition))
    assert response.status_code == 200
    body = response.content.decode()
    table = body[body.index("<tbody>") : body.index("</tbody>") + len("</tbody>")]
    assert table.index("South Korea") < table.index("Japan")
    for country, n in [("South Korea", 3), ("Japan", 1), ("Not given", 1)]:
        assert f'<tr><th scope="row">{country}</th><td class="text-end">{n}</td></tr>' in table
    assert "5 confirmed signatures" in body


def test_pending_withdrawn_suspected_and_invalidated_are_not_counted(client):
    petition = make_petition(consent_text=None)
    make_signature(petition, country="KR", state="confirmed")
    for state in (S.PENDING, S.WITHDRAWN, S.SUSPECTED, S.INVALIDATED):
        make_signature(petition, country="FR", state=state)
    make_signature(make_petition(consent_text=None), country="FR", state="confirmed")  # another petition
    body = client.get(url(petition)).content.decode()
    assert "France" not in body
    assert "1 confirmed signature for" in body


def test_chart_is_inline_svg_without_style_attributes_and_no_personal_data(client):
    petition = make_petition(consent_text=None)
    make_signature(
        petition,
        country="KR",
        name="Visible Signer",
        email="signer@example.org",
        show_name=True,
        state="confirmed",
    )
    make_signature(petition, country="KR", state="confirmed")
    make_signature(petition, country="GB", state="confirmed")
    body = client.get(url(petition)).content.decode()
    assert '<svg class="w-100"' in body and 'role="img"' in body
    assert 'aria-labelledby="countries-chart-title countries-chart-desc"' in body
    # The largest bar takes the whole bar width; the other is proportional.
    assert 'width="56%"' in body and 'width="28%"' in body
    assert "style=" not in body
    assert "Visible Signer" not in body and "signer@example.org" not in body


def test_counts_are_cached_for_the_count_max_age(client, settings):
    settings.PETITION_COUNT_MAX_AGE = 60
    petition = make_petition(consent_text=None)
    make_signature(petition, country="KR", state="confirmed")
    with CaptureQueriesContext(connection) as cold:
        client.get(url(petition))
    make_signature(petition, country="JP", state="confirmed")
    with CaptureQueriesContext(connection) as warm:
        body = client.get(url(petition)).content.decode()
    assert sum("GROUP BY" in q["sql"] for q in cold.captured_queries) == 1
    assert sum("GROUP BY" in q["sql"] for q in warm.captured_queries) == 0
    assert "Japan" not in body  # may lag by at most PETITION_COUNT_MAX_AGE
    cache.clear()
    assert "Japan" in client.get(url(petition)).content.decode()


def test_query_count_does_not_grow_with_countries(client, django_assert_max_num_queries):
    petition = make_petition(consent_text=None)
    for code in ["KR", "JP", "US", "GB", "FR", "DE", "CA", "AU"]:
        make_signature(petition, country=code, state="confirmed")
    # The petition, one GROUP BY, and the site footer's contact details.
    with django_assert_max_num_queries(3):
        response = client.get(url(petition))
    assert response.content.decode().count('<th scope="row">') == 9  # 8 countries + total


def test_empty_petition_says_so(client):
    petition = make_petition(consent_text=None)
    response = client.get(url(petition))
    assert "No confirmed signatures yet." in response.content.decode()


def test_draft_and_unknown_petitions_are_404(client):
    draft = make_petition(state=Petition.State.DRAFT, consent_text=None)
    assert client.get(url(draft)).status_code == 404
    assert client.get("/en/petitions/no-such-petition/countries/").status_code == 404
