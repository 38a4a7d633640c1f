"""The public read-only petition API (OSDI field names)."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from petitions.models import Petition
from petitions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def signature_count(monkeypatch):
    """The count comes from services.get_signature_count (the petition side's cached count)."""
    counts = {}
    monkeypatch.setattr(
        "petitions.services.counting.get_signature_count", lambda *, petition: counts.get(petition.pk, 0)
    )
    return counts


def detail_url(petition):
    return reverse("api:petition-detail", kwargs={"slug": petition.slug})


LIST_URL = "/api/v1/petitions/"


def test_detail_has_osdi_fields(client, signature_count):
    petition = make_petition(
        title="Commission of Inquiry",
        slug="coi",
        ask="Establish a COI.",
        description="Why.",
        addressee="UN HRC",
        consent_text=None,
    )
    signature_count[petition.pk] = 1234
    data = client.get(detail_url(petition)).json()
    assert data["identifiers"] == ["icnk:coi"]
    assert data["title"] == "Commission of Inquiry"
    assert data["description"] == "Why."
    assert data["petition_text"] == "Establish a COI."
    assert data["target"] == [{"name": "UN HRC"}]
    assert data["total_signatures"] == 1234
    assert data["browser_url"] == "http://testserver/petitions/coi/"
    assert data["_links"] == {"self": {"href": "http://testserver/api/v1/petitions/coi/"}}
    assert datetime.datetime.fromisoformat(data["created_date"]) == petition.created_at
    petition.refresh_from_db()
    assert datetime.datetime.fromisoformat(data["modified_date"]) == petition.updated_at


def test_no_personal_data_in_the_api(client):
    petition = make_petition(consent_text=None)
    make_signature(
        petition, name="Public Signer", email="public@example.org", show_name=True, state="confirmed"
    )
    for url in (LIST_URL, detail_url(petition)):
        body = client.get(url).content.decode()
        assert "Public Signer" not in body and "public@example.org" not in body


def test_list_wraps_published_petitions_osdi_style_and_hides_drafts(client, django_assert_max_num_queries):
    open_petition = make_petition(consent_text=None)
    closed = make_petition(state=Petition.State.CLOSED, consent_text=None)
    make_petition(state=Petition.State.DRAFT, slug="secret-draft", consent_text=None)
    with django_assert_max_num_queries(1):
        data = client.get(LIST_URL).json()
    assert data["total_records"] == 2
    slugs = {p["identifiers"][0] for p in data["_embedded"]["osdi:petitions"]}
    assert slugs == {f"icnk:{open_petition.slug}", f"icnk:{closed.slug}"}
    assert data["_links"]["self"]["href"] == "http://testserver/api/v1/petitions/"


def test_draft_and_unknown_slug_are_json_404(client):
    draft = make_petition(state=Petition.State.DRAFT, consent_text=None)
    for url in (detail_url(draft), "/api/v1/petitions/no-such-petition/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json() == {"error": "Not found"}
        assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["list", "detail"])
def test_cache_and_cors_headers(client, path):
    petition = make_petition(consent_text=None)
    response = client.get(LIST_URL if path == "list" else detail_url(petition))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/hal+json")
    assert response["Cache-Control"] == "public, max-age=10, stale-while-revalidate=60"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response


def test_head_and_preflight_are_allowed(client):
    petition = make_petition(consent_text=None)
    assert client.head(detail_url(petition)).status_code == 200
    response = client.options(detail_url(petition), headers={"Origin": "https://example.net"})
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_405_even_without_csrf_token(method):
    petition = make_petition(consent_text=None)
    client = Client(enforce_csrf_checks=True)
    for url in (LIST_URL, detail_url(petition)):
        response = getattr(client, method)(url)
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD, OPTIONS"
        assert response.json()["error"] == "Method not allowed"
    assert Petition.objects.filter(pk=petition.pk).exists()
