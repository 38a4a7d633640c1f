"""The site's shell: landmarks, navigation, footer contact block, pagination, error pages."""

import re

import pytest
from django.core.paginator import Paginator
from django.template import engines
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from campaign.models import Contact


def make_contact(**overrides):
    values = {
        "name": "Human Rights Without Frontiers Int\u2019l",
        "address": "Avenue d\u2019Auderghem 61/16\n1040 Brussels",
        "phone": "32 2 3456145",
        "fax": "32 2 3456145",
        "is_current": True,
    }
    return Contact.objects.create(**values | overrides)


def test_every_page_has_skip_link_landmarks_and_main_navigation(client, db):
    html = client.get("/en/").text
    assert html.index('class="skip-link" href="#main"') < html.index("<header")
    assert '<main id="main" tabindex="-1">' in html
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert "<footer" in html
    for url in [
        "/en/appeals/",
        "/en/testimonies/",
        "/en/coalition/",
        "/en/timeline/",
        "/en/news/",
        "/en/about/",
        "/en/petition/",
    ]:
        assert f'href="{url}"' in html


def test_current_section_is_marked_in_the_main_navigation(client, db):
    html = client.get("/en/appeals/").text
    assert '<a href="/en/appeals/" aria-current="page">Appeals</a>' in html
    assert '<a href="/" aria-current' not in html


def test_home_link_is_current_only_on_the_home_page(client, db):
    assert '<a href="/en/" aria-current="page">Home</a>' in client.get("/en/").text


def test_pages_below_a_section_mark_the_section(rf):
    request = rf.get("/en/news/some-statement/")
    html = engines["django"].from_string(
        "{% load site_tags %}{% nav_link 'campaign:statement-list' 'News' %}"
    )
    assert html.render(request=request) == '<a href="/en/news/" aria-current="true">News</a>'


def test_footer_shows_the_current_contact_details(client, db):
    make_contact()
    response = client.get("/en/")
    assert "<strong>Human Rights Without Frontiers Int\u2019l</strong>" in response.text
    assert "Avenue d\u2019Auderghem 61/16<br>1040 Brussels" in response.text
    assert "Phone/Fax: 32 2 3456145" in response.text
    assert 'href="/en/about/"' in response.text


def test_footer_lists_phone_and_fax_separately_when_they_differ(client, db):
    make_contact(phone="+32 2 111 11 11", fax="+32 2 222 22 22")
    html = client.get("/en/").text
    assert "Phone: +32 2 111 11 11" in html
    assert "Fax: +32 2 222 22 22" in html
    assert "Phone/Fax" not in html


def test_footer_ignores_contact_details_that_are_not_current(client, db):
    make_contact(name="Old office", is_current=False)
    html = client.get("/en/").text
    assert "Old office" not in html
    assert "<address>" not in html
    assert "About the coalition and how to reach us" in html


def test_footer_links_privacy_and_cookie_preferences(client, db):
    html = client.get("/en/").text
    footer = html[html.index("<footer") :]
    assert 'href="/en/privacy/"' in footer
    assert '<a href="/en/cookies/">Cookie preferences</a>' in footer


def test_contact_details_cost_one_query_and_only_where_shown(db, django_assert_num_queries):
    make_contact()
    request = RequestFactory().get("/en/")
    engine = engines["django"]
    with django_assert_num_queries(0):
        engine.from_string("{{ SITE_NAME }}").render(request=request)
    with django_assert_num_queries(1):
        html = engine.from_string("{{ site_contact.name }} {{ site_contact.phone }}").render(request=request)
    assert html == "Human Rights Without Frontiers Int\u2019l 32 2 3456145"


def _render_pagination(query, number, per_page=10, count=50):
    page_obj = Paginator(range(count), per_page).page(number)
    request = RequestFactory().get("/en/coalition/", query)
    return render_to_string("includes/pagination.html", {"page_obj": page_obj}, request=request)


def test_pagination_keeps_filters_on_its_links(db):
    html = _render_pagination({"country": "KR", "page": "2"}, 2)
    assert 'href="?country=KR&amp;page=1" rel="prev"' in html
    assert 'href="?country=KR&amp;page=3" rel="next"' in html
    assert "Page 2 of 5" in html
    assert '<nav class="site-pagination" aria-label="Pages">' in html


def test_pagination_offers_no_previous_on_the_first_page(db):
    html = _render_pagination({}, 1)
    assert 'rel="prev"' not in html
    assert 'href="?page=2" rel="next"' in html


def test_pagination_is_absent_when_everything_fits_on_one_page(db):
    assert _render_pagination({}, 1, count=5).strip() == ""


def test_messages_are_announced_by_severity():
    html = render_to_string(
        "includes/messages.html",
        {"messages": [_Message("Saved.", "success"), _Message("Could not send.", "error")]},
    )
    assert '<div class="alert alert-success" role="status">Saved.</div>' in html
    assert '<div class="alert alert-danger" role="alert">Could not send.</div>' in html


class _Message:
    def __init__(self, text, level_tag):
        self.text, self.level_tag = text, level_tag

    def __str__(self):
        return self.text


@pytest.mark.urls("campaign.tests.test_site")
def test_server_error_page_keeps_the_site_shell_and_name(db, settings):
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert f"<title>Something went wrong — {settings.SITE_NAME}</title>" in response.text
    assert 'class="site-header"' in response.text
    assert 'class="site-footer"' in response.text
    assert '<meta name="robots" content="noindex">' in response.text


@pytest.mark.urls("campaign.tests.test_site")
def test_database_outage_page_needs_no_database(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client(raise_request_exception=False).get("/db-down/")
    assert response.status_code == 503
    assert 'class="site-header"' in response.text


def test_broken_error_template_falls_back_to_a_plain_styled_page(client, db, monkeypatch):
    from campaign.views import site

    real_render = site.loader.render_to_string

    def render(template_name, *args, **kwargs):
        if template_name == "404.html":
            raise RuntimeError("template broke")
        return real_render(template_name, *args, **kwargs)

    monkeypatch.setattr(site.loader, "render_to_string", render)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Sorry, something went wrong" in response.text
    assert "Error 404" in response.text
    assert re.search(r'<link rel="stylesheet" href="/static/css/site.css', response.text)
    assert "template broke" not in response.text


@pytest.mark.parametrize(
    ("url", "heading"),
    [("/no-such-page/", "Page not found"), ("/en/cookies/", "Cookie preferences")],
)
def test_pages_carry_title_description_canonical_and_open_graph(client, db, url, heading):
    html = client.get(url).text
    assert f"<h1>{heading}</h1>" in html
    assert '<meta name="description" content="' in html
    assert f'<link rel="canonical" href="http://testserver{url}">' in html
    assert '<meta property="og:title"' in html
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in html
