"""The campaign in pictures: the chart over time, the map and their tables show the real counts."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from pagecache import clear_local_copies
from petitions import pictures
from petitions.models import Signature
from petitions.services import tally
from petitions.tests.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db

S = Signature.State
NOW = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture(autouse=True)
def fresh_figures(settings):
    settings.PETITION_COUNT_MAX_AGE = 0


@pytest.fixture
def petition():
    """Opened ten days ago: hour by hour for its first days, then day by day."""
    petition = make_petition(
        slug="coi-pictures", consent_text=None, opens_at=NOW - datetime.timedelta(days=10)
    )
    plan = [(10, "KR", 3), (9, "KR", 1), (9, "JP", 2), (7, "FR", 1), (2, "KR", 4), (0, "", 1)]
    for days_ago, country, n in plan:
        for k in range(n):
            at = NOW - datetime.timedelta(days=days_ago) + datetime.timedelta(hours=k)
            make_signature(petition, state=S.CONFIRMED, country=country, confirmed_at=at)
    make_signature(petition, state=S.PENDING, country="US")
    withdrawn = make_signature(petition, state=S.CONFIRMED, country="DE", confirmed_at=NOW)
    from petitions.services import confirming

    confirming.withdraw_signature(signature_id=withdrawn.pk)
    return petition


def page(client, petition, language="en"):
    return client.get(f"/{language}/petitions/{petition.slug}/countries/").content.decode()


def table_rows(body, table_id):
    start = body.index(f'id="{table_id}"')
    table = body[start : body.index("</table>", start)]
    return re.findall(r'<tr><th scope="row">([^<]*)</th><td class="text-end">([^<]*)</td></tr>', table)


def real_per_day(petition):
    rows = (
        Signature.objects.filter(petition=petition, state=S.CONFIRMED)
        .annotate(day=TruncDate("confirmed_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def test_per_day_chart_and_table_equal_the_real_counts_with_empty_days_as_zero(client, petition):
    body = page(client, petition)
    real = real_per_day(petition)
    rows = table_rows(body, "per-day-table")
    first = min(real)
    assert len(rows) == (max(real) - first).days + 1  # every day from the first to the last
    for offset, (label, n) in enumerate(rows):
        day = first + datetime.timedelta(days=offset)
        assert label == f"{day.day} {day:%B %Y}"  # DATE_FORMAT in English
        assert int(n) == real.get(day, 0)
    bars = re.findall(
        r'<rect class="chart-bar"[^>]*data-signatures="(\d+)"', body[: body.index('id="per-day-table"')]
    )
    assert [int(b) for b in bars] == [int(n) for _, n in rows]
    assert (
        sum(int(n) for _, n in rows) == Signature.objects.filter(petition=petition, state=S.CONFIRMED).count()
    )


def test_first_days_are_shown_hour_by_hour(client, petition):
    body = page(client, petition)
    rows = table_rows(body, "per-hour-table")
    assert sum(int(n) for _, n in rows) == 3 + 1 + 2  # the signatures of the first three days
    assert "Hour by hour in the petition\u2019s first 3 days" in body


def test_map_shades_and_titles_each_country_with_its_real_count(client, petition):
    body = page(client, petition)
    shaded = dict(re.findall(r'data-country="([A-Z]{2})" data-signatures="(\d+)"', body))
    assert {code: int(n) for code, n in shaded.items() if n != "0"} == {"KR": 8, "JP": 2, "FR": 1}
    assert re.search(r'class="map-level-5" d="[^"]+" data-country="KR"', body)
    assert re.search(r'class="map-level-0" d="[^"]+" data-country="US"', body)
    assert "<title>South Korea: 8 signatures</title>" in body
    assert "<title>France: 1 signature</title>" in body
    assert 'aria-labelledby="world-map-title world-map-desc"' in body
    countries = dict(table_rows(body, "countries-table"))
    assert countries == {"South Korea": "8", "Japan": "2", "France": "1", "Not given": "1", "Total": "12"}
    assert "style=" not in body and "<script>" not in body


def test_map_keys_match_the_site_country_codes():
    from django_countries import countries

    codes = [shape["code"] for shape in pictures.world_outline()["countries"] if shape["code"]]
    assert len(codes) > 150 and len(set(codes)) == len(codes)
    assert all(code in dict(countries) for code in codes)
    assert {"KR", "KP", "JP", "US", "FR", "GB"} <= set(codes)


def test_shades_follow_a_square_root_scale_and_the_legend_covers_every_count():
    assert [pictures.level_of(n, 100) for n in (0, 1, 4, 5, 16, 17, 99, 100)] == [0, 1, 1, 2, 2, 3, 5, 5]
    legend = pictures.world_map([("KR", 100)], str)["legend"]
    covered = [n for step in legend for n in range(step["low"], step["high"] + 1)]
    assert covered == list(range(1, 101))
    assert all(
        pictures.level_of(n, 100) == step["level"] for step in legend for n in (step["low"], step["high"])
    )


@pytest.mark.parametrize(
    ("language", "day_label", "number"),
    [("fr", "1 ", "1\u202f234"), ("ja", "年", "1,234"), ("ko", "년", "1,234")],
)
def test_dates_and_numbers_are_in_the_page_language(client, language, day_label, number):
    petition = make_petition(
        slug=f"coi-{language}", consent_text=None, opens_at=NOW - datetime.timedelta(days=30)
    )
    tally.rebuild_tally()
    from petitions.models import SignatureTally

    SignatureTally.objects.create(
        petition=petition,
        period_start=NOW.replace(hour=0),
        hours=24,
        country="KR",
        referrer_pk=0,
        signatures=1234,
    )
    body = page(client, petition, language)
    rows = table_rows(body, "per-day-table")
    assert rows[0][1] in (number, number.replace("\u202f", "\xa0"), number.replace("\u202f", " "))
    assert day_label in rows[0][0]
    assert "Confirmed signatures per day" not in body  # translated


def test_the_page_is_cached_and_figures_lag_at_most_one_window(client, petition, settings):
    settings.PETITION_COUNT_MAX_AGE = 10
    url = f"/en/petitions/{petition.slug}/countries/"
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"
    make_signature(petition, state=S.CONFIRMED, country="CA")
    assert "Canada" not in dict(table_rows(client.get(url).content.decode(), "countries-table"))
    # A window later (the copy, the figures and the fold's turn all expire together):
    cache.clear()
    clear_local_copies()
    assert dict(table_rows(client.get(url).content.decode(), "countries-table"))["Canada"] == "1"


def test_api_detail_gives_the_same_figures_per_country_day_and_hour(client, petition):
    data = client.get(reverse("api:petition-detail", kwargs={"slug": petition.slug})).json()
    assert data["signatures_by_country"] == [
        {"country": "KR", "signatures": 8},
        {"country": "JP", "signatures": 2},
        {"country": None, "signatures": 1},
        {"country": "FR", "signatures": 1},
    ]
    real = real_per_day(petition)
    by_day = {
        datetime.date.fromisoformat(row["date"]): row["signatures"] for row in data["signatures_by_day"]
    }
    assert {day: n for day, n in by_day.items() if n} == real
    assert sum(row["signatures"] for row in data["signatures_by_hour"]) == 6
    assert all(datetime.datetime.fromisoformat(row["hour"]).minute == 0 for row in data["signatures_by_hour"])


def test_api_detail_is_cached_like_the_rest(client, petition, settings):
    settings.PETITION_COUNT_MAX_AGE = 10
    url = reverse("api:petition-detail", kwargs={"slug": petition.slug})
    client.get(url)
    response = client.get(url)
    assert response["X-Page-Cache"] == "hit"
    assert response["Cache-Control"].startswith("public, max-age=10")
