"""Walk the content pages in a browser with the deployable fixtures loaded."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from campaign.models import Contact
from tests.e2e.conftest import assert_no_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def content(db):
    call_command("load_content", verbosity=0)


def test_navigation_reaches_every_content_page(page, content):
    page.goto("/")
    assert "Commission of Inquiry" in page.locator("main").inner_text()
    for link, heading in [
        ("Appeals", "Appeals"),
        ("Timeline", "Timeline"),
        ("News", "News"),
        ("About", "About the coalition"),
    ]:
        page.locator("header nav").get_by_role("link", name=link, exact=True).click()
        expect(page.locator("h1").first).to_have_text(heading)
        page.wait_for_load_state("load")
        assert_no_problems(page)

    page.goto("/news/")
    page.get_by_role("link", name="Human rights in North Korea: An International Coalition").click()
    assert "Willy Fautré" in page.locator("main").inner_text()

    page.goto("/privacy/")
    assert page.locator("h1").inner_text() == "Privacy notice"
    assert_no_problems(page)


def test_email_is_revealed_by_a_button_without_javascript(browser, live_server, content):
    Contact.objects.update(email="info@example.org")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/about/")
        assert "info [at] example [dot] org" in page.locator("main address").inner_text()
        page.get_by_role("button", name="Show email address").click()
        link = page.get_by_role("link", name="info@example.org")
        assert link.get_attribute("href") == "mailto:info@example.org"
    finally:
        context.close()
