import pytest

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
    widths = page.eval_on_selector_all("svg rect", "rects => rects.map(r => r.getBBox().width)")
    assert len(widths) == 2
    assert widths[0] > 0
    assert widths[1] == pytest.approx(widths[0] / 2, rel=0.02)
    # Bars take their colour from the Bootstrap class, not from a style attribute.
    fill = page.eval_on_selector("svg rect", "r => getComputedStyle(r).fill")
    assert fill not in ("", "none", "rgb(0, 0, 0)")
    assert page.get_by_role("img", name="Confirmed signatures by country").is_visible()
    assert_no_problems(page)
