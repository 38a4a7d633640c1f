import re
from datetime import timedelta

import pytest
from django.utils import timezone

from petitions.tests.factories import make_petition, make_signature
from tests.e2e.conftest import assert_no_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_countries_chart_draws_proportional_bars_under_the_csp(page):
    petition = make_petition(slug="coi-countries", consent_text=None)
    for _ in range(4):
        make_signature(petition, country="KR", state="confirmed")
    for _ in range(2):
        make_signature(petition, country="JP", state="confirmed")
    response = page.goto("/petitions/coi-countries/countries/")
    assert response.status == 200
    widths = page.eval_on_selector_all("#countries-chart rect", "rects => rects.map(r => r.getBBox().width)")
    assert len(widths) == 2
    assert widths[0] > 0
    assert widths[1] == pytest.approx(widths[0] / 2, rel=0.02)
    # Bars take their colour from the Bootstrap class, not from a style attribute.
    fill = page.eval_on_selector("#countries-chart rect", "r => getComputedStyle(r).fill")
    assert fill not in ("", "none", "rgb(0, 0, 0)")
    assert page.get_by_role("img", name=re.compile("^Confirmed signatures by country")).is_visible()
    assert_no_problems(page)


def test_day_chart_and_world_map_are_drawn_from_the_figures_under_the_csp(page):
    petition = make_petition(
        slug="coi-pictures", consent_text=None, opens_at=timezone.now() - timedelta(days=9)
    )
    for days_ago, country, n in [(8, "KR", 4), (6, "KR", 2), (6, "JP", 1)]:
        for _ in range(n):
            at = timezone.now() - timedelta(days=days_ago)
            make_signature(petition, country=country, state="confirmed", confirmed_at=at)
    response = page.goto("/en/petitions/coi-pictures/countries/")
    assert response.status == 200
    # Three days (one of them without signatures): bars of 4, 0 and 3, proportional in height.
    heights = page.eval_on_selector_all(
        "#per-day-chart rect.chart-bar", "rs => rs.map(r => r.getBBox().height)"
    )
    assert len(heights) == 3
    assert heights[1] == 0 and heights[2] == pytest.approx(heights[0] * 3 / 4, rel=0.02)
    bar_fill = page.eval_on_selector("#per-day-chart rect.chart-bar", "r => getComputedStyle(r).fill")
    assert bar_fill not in ("", "none", "rgb(0, 0, 0)")
    fill = "c => getComputedStyle(c).fill"
    korea = page.eval_on_selector('.world-map path[data-country="KR"]', fill)
    japan = page.eval_on_selector('.world-map path[data-country="JP"]', fill)
    brazil = page.eval_on_selector('.world-map path[data-country="BR"]', fill)
    assert len({korea, japan, brazil}) == 3  # the most, some, none: three shades
    title = page.eval_on_selector('.world-map path[data-country="KR"] title', "t => t.textContent")
    assert title == "South Korea: 6 signatures"
    box = page.eval_on_selector(".world-map", "m => m.getBoundingClientRect().width")
    assert box > 300
    assert page.get_by_role("img", name="World map of confirmed signatures by country").is_visible()
    assert_no_problems(page)
