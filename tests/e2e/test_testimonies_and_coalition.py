import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article_content():
    call_command("loaddata", "fixtures/coalition.json", "fixtures/testimonies.json", verbosity=0)


def test_graphic_passage_stays_folded_until_the_reader_opens_it(page, article_content):
    page.goto("/testimonies/")
    page.get_by_role("link", name="Shin Dong Hyuk").click()
    passage = page.get_by_text("one of his fingers was chopped off")
    expect(page.locator("#content-warning")).to_be_visible()
    expect(passage).to_be_hidden()
    page.get_by_text("Content warning: describes torture and mutilation. Show passage").click()
    expect(passage).to_be_visible()
    assert_no_problems(page)


def test_coalition_filter_form_shows_one_country(page, article_content):
    page.goto("/coalition/")
    page.get_by_label("Country", exact=True).select_option("KR")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**country=KR**")
    expect(page.locator("article.card")).to_have_count(6)
    expect(page.get_by_role("heading", name="South Korea")).to_be_visible()
    assert_no_problems(page)
