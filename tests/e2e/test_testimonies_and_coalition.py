import pytest
from django.core.management import call_command

from tests.e2e.conftest import assert_no_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article_content():
    call_command("loaddata", "fixtures/coalition.json", "fixtures/testimonies.json", verbosity=0)


def test_graphic_passage_stays_folded_until_the_reader_opens_it(page, article_content):
    page.goto("/testimonies/")
    page.get_by_role("link", name="Shin Dong Hyuk").click()
    passage = page.get_by_text("one of his fingers was chopped off")
    assert page.locator("#content-warning").is_visible()
    assert not passage.is_visible()
    page.get_by_text("Content warning: describes torture and mutilation. Show passage").click()
    assert passage.is_visible()
    assert_no_problems(page)


def test_coalition_filter_form_shows_one_country(page, article_content):
    page.goto("/coalition/")
    page.get_by_label("Country", exact=True).select_option("KR")
    page.get_by_role("button", name="Show").click()
    assert "country=KR" in page.url
    assert page.locator("article.card").count() == 6
    assert page.get_by_role("heading", name="South Korea").is_visible()
    assert_no_problems(page)
