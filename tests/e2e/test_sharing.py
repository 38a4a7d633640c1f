"""The share block in Chromium: plain links, a copy button with JavaScript, the address to copy without."""

import pytest
from playwright.sync_api import expect

from petitions.tests.factories import make_petition
from tests.e2e.conftest import assert_no_problems, new_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def petition():
    return make_petition(title="For a UN Commission of Inquiry on North Korea")


def test_copy_link_copies_the_address_and_loads_nothing_from_the_services(browser, live_server, petition):
    context = browser.new_context(base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = new_page(context)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(petition.get_absolute_url())
    share = page.locator(".petition-share")
    expect(share.get_by_role("link", name="LINE")).to_be_visible()
    share.get_by_role("button", name="Copy link").click()
    expect(share.get_by_role("status")).to_have_text("Link copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"http://testserver/petitions/{petition.slug}/"
    assert all(url.startswith(live_server.url) for url in requested), requested
    assert_no_problems(page)
    context.close()


def test_without_javascript_the_address_waits_in_a_field_to_copy(browser, live_server, petition):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto(petition.get_absolute_url())
    share = page.locator(".petition-share")
    expect(share.get_by_role("textbox", name="Link to the petition")).to_have_value(
        f"http://testserver/petitions/{petition.slug}/"
    )
    expect(share.get_by_role("button", name="Copy link")).to_be_hidden()
    context.close()
