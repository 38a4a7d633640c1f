"""A visitor signs, confirms from the email and withdraws, in a real Chromium."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from petitions.models import Signature
from petitions.tests.factories import make_petition, make_signature
from tests.e2e.conftest import assert_no_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def petition(settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    petition = make_petition(title="For a UN Commission of Inquiry on North Korea", goal=100)
    make_signature(petition, state=Signature.State.CONFIRMED)
    return petition


def count_on(page):
    return page.locator(".petition-count-figure").inner_text().strip()


def link_from_email(purpose):
    (message,) = mail.outbox
    url = re.search(rf"https?://\S+/{purpose}/\S+/", message.body).group()
    return re.sub(r"^https?://[^/]+", "", url)


def test_sign_confirm_and_withdraw(page, petition):
    page.goto("/petition/")
    assert count_on(page) == "1"
    page.get_by_role("textbox", name="Name").fill("Kim Min-ji")
    page.get_by_role("textbox", name="Email").fill("min-ji@example.org")
    page.get_by_role("combobox", name="Country").select_option("KR")
    page.get_by_label("Show my name").check()
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Sign the petition").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_no_problems(page)

    page.goto(link_from_email("confirm"))
    assert Signature.objects.get(email="min-ji@example.org").state == Signature.State.PENDING
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("your signature is confirmed")
    assert count_on(page) == "2"

    page.goto(petition.get_absolute_url())
    assert count_on(page) == "2"
    assert page.get_by_text("Kim Min-ji, South Korea").is_visible()
    assert_no_problems(page)

    page.goto(link_from_email("withdraw"))
    page.get_by_role("button", name="Withdraw my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your signature is withdrawn")
    page.goto(petition.get_absolute_url())
    assert count_on(page) == "1"
    assert page.get_by_text("Kim Min-ji").count() == 0
    assert_no_problems(page)


def test_mistakes_are_shown_beside_their_fields_and_values_kept(page, petition):
    page.goto(petition.get_absolute_url())
    page.get_by_role("textbox", name="Name").fill("=HYPERLINK(1)")
    page.get_by_role("textbox", name="Email").fill("min-ji@example")
    page.get_by_role("button", name="Sign the petition").click()
    expect(page.get_by_text("A name cannot start with")).to_be_visible()
    expect(page.get_by_text("Please tick this box")).to_be_visible()
    assert page.get_by_role("textbox", name="Email").input_value() == "min-ji@example"
    assert not Signature.objects.filter(name="=HYPERLINK(1)").exists()
    assert_no_problems(page)


def test_the_owner_sees_and_corrects_a_planted_submission_before_confirming(page, petition, settings):
    """Someone submitted the owner's address with their own name and comment; the owner signs too."""
    settings.PETITION_RESEND_COOLDOWN = 0
    page.goto(petition.get_absolute_url())
    for name, comment in (("Planted Name", "Planted words"), ("Kim Min-ji", "")):
        page.goto(petition.get_absolute_url())
        page.get_by_role("textbox", name="Name").fill(name)
        page.get_by_role("textbox", name="Email").fill("min-ji@example.org")
        page.get_by_role("combobox", name="Country").select_option("KR")
        page.get_by_role("textbox", name="Comment").fill(comment)
        page.get_by_label("I agree").check()
        page.get_by_role("button", name="Sign the petition").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    # The later, unsuspicious submission's details are what the owner is shown.
    confirm = re.sub(
        r"^https?://[^/]+", "", re.findall(r"https?://\S+/confirm/\S+/", mail.outbox[-1].body)[0]
    )
    page.goto(confirm)
    name_box = page.get_by_role("textbox", name="Name")
    expect(name_box).to_have_value("Kim Min-ji")
    # The owner changes their mind about being listed, then confirms.
    page.get_by_label("Show my name").check()
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("your signature is confirmed")
    signature = Signature.objects.get(email="min-ji@example.org")
    assert (signature.name, signature.comment, signature.show_name) == ("Kim Min-ji", "", True)
    assert_no_problems(page)
