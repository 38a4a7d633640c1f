"""Every public page under its language prefix; old addresses redirect; the rest stays unprefixed."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from campaign.tests.factories import make_content
from petitions.services.tokens import make_token
from petitions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "ko", "ja", "fr"]


def test_the_site_speaks_english_korean_japanese_and_french():
    assert [code for code, _ in settings.LANGUAGES] == LANGUAGES
    assert settings.LANGUAGE_CODE == "en"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_page_is_under_its_language_prefix(language):
    with translation.override(language):
        assert reverse("campaign:home") == f"/{language}/"
        assert reverse("campaign:about") == f"/{language}/about/"
        assert reverse("petitions:detail", kwargs={"slug": "coi"}) == f"/{language}/petitions/coi/"


def test_an_old_address_goes_to_english_by_default(client):
    response = client.get("/about/")
    assert response.status_code == 302
    assert response["Location"] == "/en/about/"


def test_an_old_address_follows_accept_language(client):
    response = client.get("/timeline/", headers={"accept-language": "ja,en;q=0.5"})
    assert response["Location"] == "/ja/timeline/"


def test_the_language_cookie_wins_over_accept_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get("/", headers={"accept-language": "ko"})
    assert response["Location"] == "/fr/"


def test_an_old_address_keeps_its_query_string(client):
    response = client.get("/coalition/?country=KR")
    assert response["Location"] == "/en/coalition/?country=KR"


def test_a_confirm_link_from_an_email_sent_before_the_prefixes_still_works(client):
    signature = make_signature(make_petition(slug="coi"))
    token = make_token(signature=signature, purpose="confirm")
    old_link = f"/petitions/coi/confirm/{token}/"
    response = client.get(old_link, headers={"accept-language": "ko"})
    assert response.status_code == 302
    assert response["Location"] == f"/ko{old_link}"
    assert client.get(response["Location"]).status_code == 200


def test_a_withdraw_link_from_an_old_email_still_works(client):
    signature = make_signature(make_petition(slug="coi"), state="confirmed")
    token = make_token(signature=signature, purpose="withdraw")
    response = client.get(f"/petitions/coi/withdraw/{token}/", follow=True)
    assert response.redirect_chain[0][0] == f"/en/petitions/coi/withdraw/{token}/"
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/robots.txt", "/sitemap.xml", "/api/v1/petitions/"])
def test_site_wide_addresses_stay_unprefixed(client, path):
    assert client.get(path).status_code == 200


def test_the_admin_stays_unprefixed(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_unknown_address_is_still_a_404(client):
    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/ko/no-such-page/").status_code == 404


def test_the_api_answers_the_same_in_every_language(client):
    make_petition(slug="coi")
    answers = {
        client.get("/api/v1/petitions/coi/", headers={"accept-language": language}).content
        for language in LANGUAGES
    }
    assert len(answers) == 1
    assert b'"browser_url": "http://testserver/petitions/coi/"' in next(iter(answers))


# The page cache keeps languages apart --------------------------------------------


def test_a_korean_copy_is_never_served_to_a_french_address():
    make_content()
    korean = Client().get("/ko/about/")
    assert korean["X-Page-Cache"] == "miss"
    assert '<html lang="ko"' in korean.text
    french = Client().get("/fr/about/")
    assert french["X-Page-Cache"] == "miss"
    assert '<html lang="fr"' in french.text
    again = Client().get("/fr/about/", headers={"accept-language": "ko"})
    assert again["X-Page-Cache"] == "hit"
    assert '<html lang="fr"' in again.text


def test_a_page_outside_the_prefixes_is_cached_per_language():
    from django.test import RequestFactory

    from pagecache.levels import page_key

    request = RequestFactory().get("/feed/")
    with translation.override("ko"):
        korean = page_key(request, "", public=True)
    with translation.override("fr"):
        french = page_key(request, "", public=True)
    assert korean != french


def _queries(django_assert_max_num_queries, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert Client().get(url).status_code == 200, url
    return len(captured)


@pytest.mark.parametrize(
    "page", ["", "about/", "appeals/", "timeline/", "news/", "coalition/", "testimonies/"]
)
def test_a_page_costs_the_same_queries_in_every_language(page, django_assert_max_num_queries):
    make_content()
    counts = {}
    for language in LANGUAGES:
        from django.core.cache import caches

        from pagecache import clear_local_copies

        caches["default"].clear()
        clear_local_copies()
        counts[language] = _queries(django_assert_max_num_queries, f"/{language}/{page}")
    assert len(set(counts.values())) == 1, counts


# What each page says about its language ---------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_page_names_its_language_and_its_alternates(client, language):
    make_content()
    html = client.get(f"/{language}/about/").text
    assert f'<html lang="{language}">' in html
    for other in LANGUAGES:
        assert f'<link rel="alternate" hreflang="{other}" href="http://testserver/{other}/about/">' in html
    assert '<link rel="alternate" hreflang="x-default" href="http://testserver/about/">' in html
    locales = {"en": "en_GB", "ko": "ko_KR", "ja": "ja_JP", "fr": "fr_FR"}
    assert f'<meta property="og:locale" content="{locales[language]}">' in html
    for other in LANGUAGES:
        alternate = f'<meta property="og:locale:alternate" content="{locales[other]}">'
        assert (alternate in html) == (other != language)


def test_an_article_page_names_its_locale_too(client):
    statement = make_content()["statement"]
    with translation.override("ja"):
        html = client.get(statement.get_absolute_url()).text
    assert '<meta property="og:locale" content="ja_JP">' in html


# The language switcher ------------------------------------------------------


def test_the_switcher_names_each_language_in_itself(client):
    make_content()
    html = client.get("/fr/about/").text
    switcher = html[html.index('class="language-switcher"') : html.index("</nav>")]
    for code, name in {"en": "English", "ko": "한국어", "ja": "日本語"}.items():
        assert f'value="{code}" lang="{code}"' in switcher
        assert f">{name}</button>" in switcher
    assert '<span class="language-current" lang="fr" aria-current="true">Français</span>' in switcher
    assert "<script" not in switcher and "style=" not in switcher


def test_the_switcher_posts_without_javascript_and_lands_on_the_same_page(client):
    make_content()
    page = client.get("/fr/news/?page=1")
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.cookies[settings.CSRF_COOKIE_NAME] = token
    formaction = "/i18n/setlang/?next=/ko/news/%3Fpage%3D1"
    assert f'formaction="{formaction}"' in page.text
    response = csrf_client.post(
        "/i18n/setlang/?next=/ko/news/", {"language": "ko", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert response["Location"] == "/ko/news/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ko"
    # The choice then decides where old addresses go.
    assert csrf_client.get("/about/")["Location"] == "/ko/about/"


# Words, dates, numbers and country names in the page's language --------------


@pytest.mark.parametrize(
    ("language", "sign", "skip"),
    [
        ("en", "Sign the petition", "Skip to main content"),
        ("ko", "청원에 서명하기", "본문으로 건너뛰기"),
        ("ja", "請願に署名する", "本文へスキップ"),
        ("fr", "Signer la pétition", "Aller au contenu principal"),
    ],
)
def test_the_shell_speaks_the_page_language(client, language, sign, skip):
    html = client.get(f"/{language}/about/").text
    assert sign in html and skip in html


@pytest.mark.parametrize(
    ("language", "day", "month"),
    [
        ("en", "9 December 2011", "December 2011"),
        ("ko", "2011년 12월 9일", "2011년 12월"),
        ("ja", "2011年12月9日", "2011年12月"),
        ("fr", "9 décembre 2011", "décembre 2011"),
    ],
)
def test_dates_are_written_the_way_each_language_writes_them(language, day, month):
    import datetime

    from campaign.models import DatePrecision, Milestone

    milestone = Milestone(date=datetime.date(2011, 12, 9), date_precision=DatePrecision.DAY)
    with translation.override(language):
        assert milestone.date_display == day
        milestone.date_precision = DatePrecision.MONTH
        assert milestone.date_display == month
        milestone.date_precision = DatePrecision.YEAR
        assert milestone.date_display == "2011"


@pytest.mark.parametrize(("language", "written"), [("en", "10,000"), ("ko", "10,000"), ("fr", "10\xa0000")])
def test_numbers_are_grouped_the_way_each_language_groups_them(language, written):
    from django.template import Context, Template

    with translation.override(language):
        assert Template("{{ n }}").render(Context({"n": 10000})) == written


def test_country_names_follow_the_page_language():
    from django_countries import countries

    names = {}
    for language in ("en", "ko", "ja", "fr"):
        with translation.override(language):
            names[language] = countries.name("KR")
    assert names == {"en": "South Korea", "ko": "대한민국", "ja": "韓国", "fr": "Corée du Sud"}


def test_the_signing_form_speaks_the_page_language(client):
    petition = make_petition(slug="coi")
    with translation.override("ja"):
        html = client.get(petition.get_absolute_url()).text
    assert "お名前" in html and "国を選んでください" in html and "韓国" in html


# Content not yet translated, and the English original -------------------------

NOTE = {
    "ko": "이 글은 아직 한국어로 번역되지 않아 영어로 보여 드립니다.",
    "fr": "Ce texte n’a pas encore été traduit en français ; il est donc affiché en anglais.",  # noqa: RUF001
}


def test_an_untranslated_statement_is_shown_in_english_marked_and_announced(client):
    from campaign.tests.factories import make_statement

    statement = make_statement(title="Only in English", body="English body.")
    with translation.override("ko"):
        html = client.get(statement.get_absolute_url()).text
    assert '<html lang="ko">' in html
    assert NOTE["ko"] in html
    assert '<h1 lang="en">Only in English</h1>' in html
    assert '<div class="statement-body" lang="en">' in html
    assert "영어 원문 읽기" not in html


def test_a_translated_statement_links_to_its_english_original(client):
    from campaign.tests.factories import make_statement

    statement = make_statement(
        slug="coi-day",
        title_fr="Titre français",
        summary_fr="Résumé.",
        body_fr="Corps.",
        occasion_fr="Journée des droits de l'homme 2011",
    )
    with translation.override("fr"):
        html = client.get(statement.get_absolute_url()).text
    assert NOTE["fr"] not in html
    assert "<h1>Titre français</h1>" in html
    assert '<a href="/en/news/coi-day/" hreflang="en">Lire l’original en anglais</a>' in html  # noqa: RUF001


def test_a_translated_testimony_links_to_its_english_original(client):
    from testimonies.tests.factories import make_testimony

    testimony = make_testimony(summary_ja="要約。", body_ja="本文。")
    with translation.override("ja"):
        html = client.get(testimony.get_absolute_url()).text
        english = testimony.get_absolute_url().replace("/ja/", "/en/", 1)
    assert f'<a href="{english}" hreflang="en">英語の原文を読む</a>' in html


def test_an_untranslated_testimony_is_announced_and_marked(client):
    from testimonies.tests.factories import make_testimony

    testimony = make_testimony(summary="English summary.")
    with translation.override("ko"):
        html = client.get(testimony.get_absolute_url()).text
    assert NOTE["ko"] in html
    assert '<p class="lead" lang="en">English summary.</p>' in html


def test_a_list_marks_each_untranslated_item_and_says_so_once(client):
    from campaign.tests.factories import make_statement

    make_statement(title="English only")
    make_statement(title="Both", title_ko="둘 다", summary_ko="요약")
    html = client.get("/ko/news/").text
    assert html.count(NOTE["ko"]) == 1
    assert html.count('<article class="mb-4" lang="en">') == 1


def test_english_pages_say_nothing_about_translations(client):
    from campaign.tests.factories import make_statement

    statement = make_statement()
    html = client.get(statement.get_absolute_url()).text
    assert (
        "untranslated-note" not in html
        and "source-link" not in html
        and 'lang="en">' not in html.split("<body")[1]
    )
