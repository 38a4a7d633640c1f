"""The petition's public pages: signing, thanks, confirming, withdrawing."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail, signing
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from coalition.tests.factories import make_member
from petitions.forms import issue_form_stamp
from petitions.models import Petition, Signature
from petitions.services import addresses, confirming, counting, tokens
from petitions.tests.factories import make_petition, make_signature, sign_data

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def petition():
    return make_petition()


@pytest.fixture
def post_sign(client, django_capture_on_commit_callbacks):
    """POST the signing form and run the after-commit callbacks (the email)."""

    def post(petition, data=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(petition.get_absolute_url(), data or sign_data(petition), **extra)

    return post


def confirm_url(signature, purpose="confirm"):
    return reverse(
        f"petitions:{purpose}",
        kwargs={
            "slug": signature.petition.slug,
            "token": tokens.make_token(signature=signature, purpose=purpose),
        },
    )


# /petition/ ---------------------------------------------------------------------


def test_petition_url_redirects_to_the_featured_open_petition(client):
    featured = make_petition(is_featured=True, opens_at=timezone.now() - timedelta(days=30))
    make_petition()  # newer, not featured
    response = client.get("/en/petition/")
    assert response.status_code == 302
    assert response["Location"] == featured.get_absolute_url()


def test_petition_url_falls_back_to_the_newest_open_petition(client):
    make_petition(opens_at=timezone.now() - timedelta(days=30))
    newest = make_petition()
    make_petition(state=Petition.State.DRAFT, is_featured=True)
    make_petition(state=Petition.State.CLOSED)
    assert client.get("/en/petition/")["Location"] == newest.get_absolute_url()


def test_petition_url_is_404_when_no_petition_is_open(client):
    make_petition(state=Petition.State.CLOSED)
    response = client.get("/en/petition/")
    assert response.status_code == 404
    assertContains(response, "Page not found", status_code=404)


# The petition page ----------------------------------------------------------------


def test_petition_page_shows_the_ask_count_progress_and_form(client, petition, settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    for _ in range(3):
        make_signature(petition, state=Signature.State.CONFIRMED)
    make_signature(petition)  # pending: not counted
    response = client.get(petition.get_absolute_url())
    assertContains(response, f"<h1>{petition.title}</h1>", html=True)
    assertContains(response, petition.ask)
    assertContains(response, "To the UN Human Rights Council")
    assertContains(response, '<span class="petition-count-figure">3</span>', html=True)
    assertContains(response, 'max="1000" value="3"')
    assertContains(response, "I agree that ICNK stores my name")
    assertContains(response, f'href="{reverse("campaign:privacy")}"')
    assertContains(response, 'name="consent"')
    assertNotContains(response, "style=")


def test_honeypot_is_hidden_from_people_and_screen_readers(client, petition):
    html = client.get(petition.get_absolute_url()).content.decode()
    wrapper = re.search(
        r'<div\s+class="visually-hidden"\s+aria-hidden="true">\s*<div id="div_id_website".*?</div>\s*</div>',
        html,
        re.DOTALL,
    )
    assert wrapper, "the honeypot is not inside a visually hidden, aria-hidden wrapper"
    assert "Leave this field empty" in wrapper.group()
    field = re.search(r'<input[^>]*name="website"[^>]*>', wrapper.group()).group()
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field


def test_draft_petition_is_not_public(client):
    draft = make_petition(state=Petition.State.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_recent_signers_show_only_public_confirmed_names_and_countries(client, petition, settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    make_signature(petition, name="Public Person", country="JP", state="confirmed", show_name=True)
    make_signature(petition, name="Private Person", state="confirmed", show_name=False)
    make_signature(petition, name="Pending Person", state="pending", show_name=True)
    make_signature(petition, name="Suspect Person", state="suspected", show_name=True)
    response = client.get(petition.get_absolute_url())
    assertContains(response, "<li>Public Person, Japan</li>", html=True)
    for hidden in ("Private Person", "Pending Person", "Suspect Person", "@example.org"):
        assertNotContains(response, hidden)


def test_petition_page_lists_the_ten_newest_signers_with_a_fixed_number_of_queries(
    client, petition, settings, django_assert_max_num_queries
):
    settings.PETITION_COUNT_MAX_AGE = 0
    now = timezone.now()
    for n in range(40):
        make_signature(
            petition,
            name=f"Signer number {n}",
            state="confirmed",
            show_name=True,
            confirmed_at=now + timedelta(n),
        )
    with django_assert_max_num_queries(5):
        response = client.get(petition.get_absolute_url())
    assertContains(response, "Signer number 39")
    assertContains(response, "Signer number 30")
    assertNotContains(response, "Signer number 29")


def test_closed_petition_shows_its_state_and_no_form(client):
    closed = make_petition(state=Petition.State.CLOSED)
    response = client.get(closed.get_absolute_url())
    assertContains(response, "Closed")
    assertNotContains(response, 'name="email"')


def test_delivered_petition_shows_delivery(client):
    delivered = make_petition(
        state=Petition.State.DELIVERED,
        delivered_on=date(2012, 3, 1),
        delivered_to="the UN Human Rights Council",
    )
    response = client.get(delivered.get_absolute_url())
    assertContains(response, "delivered to the UN Human Rights Council on 1 March 2012")
    assertNotContains(response, 'name="email"')


def test_petition_past_its_closing_time_takes_no_signatures(post_sign):
    past = make_petition(closes_at=timezone.now() - timedelta(minutes=1))
    response = post_sign(past)
    assert response.status_code == 303
    assert response["Location"] == past.get_absolute_url()
    assert not Signature.objects.exists()


# Signing ---------------------------------------------------------------------------


def test_valid_signature_is_stored_pending_and_redirects_to_thanks(post_sign, petition):
    response = post_sign(petition)
    assert response.status_code == 303
    assert response["Location"] == reverse("petitions:thanks", kwargs={"slug": petition.slug})
    signature = Signature.objects.get()
    assert signature.state == Signature.State.PENDING
    assert (signature.name, signature.email, signature.country.code) == (
        "Kim Min-ji",
        "min-ji@example.org",
        "KR",
    )
    assert not signature.show_name and not signature.keep_informed
    assert len(mail.outbox) == 1


def test_invalid_form_keeps_values_and_shows_errors_beside_fields(post_sign, petition):
    data = sign_data(petition, email="not-an-email", consent="", comment="My words")
    response = post_sign(petition, data)
    assert response.status_code == 200
    assertContains(response, "Enter a valid email address.")
    assertContains(response, "Please tick this box to agree")
    assertContains(response, 'value="Kim Min-ji"')
    assertContains(response, "My words</textarea>")
    assertContains(response, 'aria-invalid="true"')
    assert "no-store" in response["Cache-Control"]
    assert not Signature.objects.exists()


def test_country_is_required(post_sign, petition):
    response = post_sign(petition, sign_data(petition, country=""))
    assertContains(response, "This field is required.")
    assert not Signature.objects.exists()


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Visit https://spam.example", "not a web address"),
        ("www.example.org", "not a web address"),
        ("cheap-pills.com", "not a web address"),
        ("=HYPERLINK(1)", "cannot start with"),
        ("+441234", "cannot start with"),
        ("-1+1", "cannot start with"),
        ("@admin", "cannot start with"),
        (" =1+1", "cannot start with"),
        ("Kim\x00Min-ji", "Null characters are not allowed"),
        ("Kim\x07Min-ji", "control characters"),
        ("Kim\u202eiMnj", "control characters"),
        ("K" * 101, "at most 100 characters"),
    ],
)
def test_unacceptable_names_get_a_field_error_not_a_500(post_sign, petition, name, error):
    response = post_sign(petition, sign_data(petition, name=name))
    assertContains(response, error)
    assert not Signature.objects.exists()


@pytest.mark.parametrize("name", ["Kim Min-ji", "O'Brien-Smith", "José Ramos", "김민지", "J. R. Tolkien"])
def test_ordinary_names_are_accepted(post_sign, petition, name):
    assert post_sign(petition, sign_data(petition, name=name)).status_code == 303


@pytest.mark.parametrize(("comment", "error"), [("x" * 501, "at most 500"), ("bad\x1bcomment", "control")])
def test_unacceptable_comments_get_a_field_error(post_sign, petition, comment, error):
    assertContains(post_sign(petition, sign_data(petition, comment=comment)), error)
    assert not Signature.objects.exists()


def test_comment_may_have_several_lines(post_sign, petition):
    post_sign(petition, sign_data(petition, comment="First line.\r\nSecond line."))
    assert Signature.objects.get().comment == "First line.\r\nSecond line."


def test_second_signature_gets_the_same_thanks_and_creates_nothing(post_sign, client, petition):
    first = post_sign(petition)
    second = post_sign(petition, sign_data(petition, email="MIN-JI@example.org", name="Other"))
    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    assert Signature.objects.count() == 1
    assert len(mail.outbox) == 2  # resent: the first is still pending
    confirming.confirm_signature(signature_id=Signature.objects.get().pk)
    third = post_sign(petition)
    assert (third.status_code, third["Location"]) == (first.status_code, first["Location"])
    assert len(mail.outbox) == 2  # confirmed: nothing to resend
    page = client.get(first["Location"])
    assertContains(page, "Check your email")


def test_honeypot_submission_looks_normal_but_is_suspected(post_sign, petition, settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    response = post_sign(petition, sign_data(petition, website="http://spam.example"))
    assert response.status_code == 303
    assert response["Location"].endswith("/thanks/")
    assert Signature.objects.get().state == Signature.State.SUSPECTED
    assert mail.outbox == []
    assert counting.get_signature_count(petition=petition) == 0


def test_too_fast_submission_is_suspected(post_sign, petition, settings):
    settings.PETITION_MIN_FILL_SECONDS = 5
    response = post_sign(petition)  # stamped just now
    assert response.status_code == 303
    assert Signature.objects.get().state == Signature.State.SUSPECTED
    assert mail.outbox == []


def test_submission_after_the_minimum_time_is_pending(post_sign, petition, settings, monkeypatch):
    settings.PETITION_MIN_FILL_SECONDS = 5
    ten_seconds_ago = signing.time.time() - 10
    monkeypatch.setattr(signing.time, "time", lambda: ten_seconds_ago)
    stamp = issue_form_stamp(petition)
    monkeypatch.undo()
    post_sign(petition, sign_data(petition, issued=stamp))
    assert Signature.objects.get().state == Signature.State.PENDING


@pytest.mark.parametrize("stamp", ["", "forged:stamp:value"])
def test_missing_or_forged_form_stamp_is_suspected(post_sign, petition, stamp):
    assert post_sign(petition, sign_data(petition, issued=stamp)).status_code == 303
    assert Signature.objects.get().state == Signature.State.SUSPECTED


def test_form_stamp_from_another_petition_is_suspected(post_sign, petition):
    other = make_petition()
    post_sign(petition, sign_data(petition, issued=issue_form_stamp(other)))
    assert Signature.objects.get().state == Signature.State.SUSPECTED


def test_over_the_rate_limit_is_answered_alike_but_suspected(post_sign, petition, settings):
    settings.PETITION_RATE_BURST = 2
    responses = [post_sign(petition, sign_data(petition, email=f"p{n}@example.org")) for n in range(3)]
    assert {(r.status_code, r["Location"]) for r in responses} == {(303, responses[0]["Location"])}
    states = list(Signature.objects.order_by("pk").values_list("state", flat=True))
    assert states == ["pending", "pending", "suspected"]


def test_rate_limits_switched_off(post_sign, petition, settings):
    settings.PETITION_RATE_LIMITS = False
    settings.PETITION_RATE_BURST = 1
    for n in range(3):
        post_sign(petition, sign_data(petition, email=f"p{n}@example.org"))
    assert set(Signature.objects.values_list("state", flat=True)) == {"pending"}


def test_x_forwarded_for_is_ignored_unless_a_proxy_count_is_set(post_sign, petition, settings):
    settings.PROXY_COUNT = 0
    post_sign(petition, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert Signature.objects.get().ip_hash == addresses.hash_ip(ip="10.0.0.1")


def test_x_forwarded_for_is_used_behind_a_trusted_proxy(post_sign, petition, settings):
    settings.PROXY_COUNT = 1
    post_sign(petition, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert Signature.objects.get().ip_hash == addresses.hash_ip(ip="203.0.113.7")


def test_referring_member_is_kept_through_the_form_and_stored(client, post_sign, petition):
    member = make_member(slug="nk-watch")
    page = client.get(petition.get_absolute_url() + "?ref=nk-watch")
    assertContains(page, '<input type="hidden" name="ref" value="nk-watch" id="id_ref">', html=True)
    # An invalid submission keeps it too.
    again = post_sign(petition, sign_data(petition, ref="nk-watch", email="bad"))
    assertContains(again, 'value="nk-watch"')
    post_sign(petition, sign_data(petition, ref="nk-watch"))
    assert Signature.objects.get().referrer == member


@pytest.mark.parametrize("ref", ["unknown-member", "hidden-member", "<script>", "a\x00b"])
def test_unknown_or_unpublished_referrer_is_ignored(post_sign, petition, ref):
    make_member(slug="hidden-member", is_published=False)
    assert post_sign(petition, sign_data(petition, ref=ref)).status_code == 303
    assert Signature.objects.get().referrer is None


# Thanks ------------------------------------------------------------------------------


def test_thanks_page_is_never_cached_nor_indexed(client, petition):
    response = client.get(reverse("petitions:thanks", kwargs={"slug": petition.slug}))
    assertContains(response, "Check your email")
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    assertContains(response, '<meta name="robots" content="noindex, nofollow">', html=True)


# Confirming ----------------------------------------------------------------------------


def test_confirm_link_shows_one_button_and_changes_nothing(client, petition):
    signature = make_signature(petition)
    response = client.get(confirm_url(signature))
    assertContains(response, "Confirm my signature")
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    assert main.count("<button") == 1
    assertContains(
        response,
        '<button type="submit" class="btn btn-primary btn-lg">Confirm my signature</button>',
        html=True,
    )
    assert "no-store" in response["Cache-Control"]
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING


def test_confirming_shows_the_count_and_twice_counts_once(client, petition, settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    signature = make_signature(petition)
    url = confirm_url(signature)
    first = client.post(url)
    assert first.status_code == 303 and first["Location"] == url
    second = client.post(url)
    assert second.status_code == 303
    page = client.get(url)
    assertContains(page, "your signature is confirmed")
    assertContains(page, '<span class="petition-count-figure">1</span>', html=True)
    assertContains(page, "facebook.com/sharer")
    assert counting.get_signature_count(petition=petition) == 1


def test_forged_token_is_refused_and_changes_nothing(client, petition):
    signature = make_signature(petition)
    url = confirm_url(signature)
    forged = url.replace(url.split("/")[-2], url.split("/")[-2][:-3] + "abc")
    for response in (client.get(forged), client.post(forged)):
        assertContains(response, "This link is not valid", status_code=400)
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING


def test_expired_confirm_token_is_refused_and_changes_nothing(client, petition, monkeypatch):
    signature = make_signature(petition)
    eight_days_ago = signing.time.time() - 8 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_ago)
    url = confirm_url(signature)
    monkeypatch.undo()
    response = client.post(url)
    assertContains(response, "has expired", status_code=410)
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING


def test_old_link_to_an_already_confirmed_signature_still_shows_it_confirmed(client, petition, monkeypatch):
    signature = make_signature(petition)
    eight_days_ago = signing.time.time() - 8 * 86400
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_ago)
    url = confirm_url(signature)
    monkeypatch.undo()
    confirming.confirm_signature(signature_id=signature.pk)
    assertContains(client.get(url), "your signature is confirmed")


def test_withdraw_token_cannot_confirm(client, petition):
    signature = make_signature(petition)
    token = tokens.make_token(signature=signature, purpose="withdraw")
    url = reverse("petitions:confirm", kwargs={"slug": petition.slug, "token": token})
    assert client.post(url).status_code == 400
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING


def test_token_cannot_be_used_on_another_petitions_address(client, petition):
    signature = make_signature(petition)
    other = make_petition()
    token = tokens.make_token(signature=signature, purpose="confirm")
    url = reverse("petitions:confirm", kwargs={"slug": other.slug, "token": token})
    assert client.post(url).status_code == 400
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING


def test_token_for_a_deleted_signature_is_gone(client, petition):
    signature = make_signature(petition)
    url = confirm_url(signature)
    signature.delete()
    assert client.get(url).status_code == 410


def test_confirm_link_of_a_withdrawn_signature_no_longer_works(client, petition):
    signature = make_signature(petition)
    url = confirm_url(signature)
    confirming.withdraw_signature(signature_id=signature.pk)
    assertContains(client.post(url), "no longer applies", status_code=410, msg_prefix="")
    signature.refresh_from_db()
    assert signature.state == Signature.State.WITHDRAWN


# Withdrawing ------------------------------------------------------------------------------


def test_withdraw_link_shows_one_button_and_changes_nothing(client, petition):
    signature = make_signature(petition, state=Signature.State.CONFIRMED)
    response = client.get(confirm_url(signature, "withdraw"))
    assertContains(response, "Withdraw my signature</button>")
    assert "no-store" in response["Cache-Control"]
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED


def test_withdrawing_erases_the_signer_and_lowers_the_count(client, petition, settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    signature = make_signature(petition, state=Signature.State.CONFIRMED, name="Kim Min-ji", show_name=True)
    assertContains(client.get(petition.get_absolute_url()), "Kim Min-ji")
    url = confirm_url(signature, "withdraw")
    response = client.post(url)
    assert response.status_code == 303
    assertContains(client.get(url), "Your signature is withdrawn")
    signature.refresh_from_db()
    assert signature.state == Signature.State.WITHDRAWN
    assert signature.name == "" and signature.email == ""
    page = client.get(petition.get_absolute_url())
    assertNotContains(page, "Kim Min-ji")
    assertContains(page, '<span class="petition-count-figure">0</span>', html=True)


def test_withdrawn_name_leaves_the_cached_list_of_signers_at_once(client, petition, settings):
    settings.PETITION_COUNT_MAX_AGE = 60
    signature = make_signature(petition, state=Signature.State.CONFIRMED, name="Kim Min-ji", show_name=True)
    assertContains(client.get(petition.get_absolute_url()), "Kim Min-ji")  # now cached
    client.post(confirm_url(signature, "withdraw"))
    assertNotContains(client.get(petition.get_absolute_url()), "Kim Min-ji")


def test_confirm_token_cannot_withdraw(client, petition):
    signature = make_signature(petition, state=Signature.State.CONFIRMED)
    token = tokens.make_token(signature=signature, purpose="confirm")
    url = reverse("petitions:withdraw", kwargs={"slug": petition.slug, "token": token})
    assert client.post(url).status_code == 400
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED


# Fragments and the progress tag --------------------------------------------------------------


def test_count_partial_renders_alone(petition):
    html = render_to_string(
        "petitions/petition_detail.html#signature-count", {"petition": petition, "count": 7}
    )
    assert '<span class="petition-count-figure">7</span>' in html
    assert "<form" not in html


def test_progress_tag_shows_the_cached_count(petition, settings):
    settings.PETITION_COUNT_MAX_AGE = 0
    make_signature(petition, state=Signature.State.CONFIRMED)
    template = "{% load petition_tags %}{% petition_progress petition %}"
    from django.template import Context, Template

    html = Template(template).render(Context({"petition": petition}))
    assert "<strong>1</strong> signature of a goal of 1,000" in " ".join(html.split())
    assert 'max="1000" value="1"' in html


def test_petition_page_reads_count_and_signers_from_the_shared_cache(client, petition, settings):
    settings.PETITION_COUNT_MAX_AGE = 10
    for _ in range(5):
        make_signature(petition, state=Signature.State.CONFIRMED, show_name=True)
    client.get(petition.get_absolute_url())  # fills the cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(petition.get_absolute_url())
    assertContains(response, '<span class="petition-count-figure">5</span>', html=True)
    assert not [query for query in queries.captured_queries if "campaign_signature" in query["sql"]]


# Costs of the busiest requests ------------------------------------------------------


def tables_read(queries):
    """The tables queries select FROM (joined ones, such as the email task's, not counted)."""
    return {table for q in queries.captured_queries for table in re.findall(r'FROM "(\w+)"', q["sql"])}


def test_signing_post_reads_neither_the_petition_nor_its_wording_again(client, post_sign, petition):
    client.get(petition.get_absolute_url())  # this process has read them once
    with CaptureQueriesContext(connection) as queries:
        response = post_sign(petition)

    assert response.status_code == 303
    assert Signature.objects.filter(petition=petition).count() == 1
    assert not {"campaign_petition", "campaign_consentwording"} & tables_read(queries)


def test_closing_a_petition_in_the_admin_stops_signing_at_once(
    client, post_sign, petition, django_capture_on_commit_callbacks
):
    client.get(petition.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        petition.state = Petition.State.CLOSED
        petition.save()

    response = post_sign(petition)

    assert response["Location"] == petition.get_absolute_url()
    assert not Signature.objects.exists()


def test_new_consent_wording_is_recorded_from_the_next_signature(client, post_sign, petition):
    client.get(petition.get_absolute_url())
    newer = petition.consent_wordings.create(version=2, text="I agree to the new wording.")

    post_sign(petition)

    assert Signature.objects.get().consent_wording == newer


def test_confirming_costs_one_query(client, petition):
    signature = make_signature(petition)
    url = confirm_url(signature)
    client.get(url)  # the confirm page, as a person sees it first
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url)

    assert response.status_code == 303
    assert len(queries.captured_queries) == 1
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED


# What the owner confirms ------------------------------------------------------------


def test_confirm_page_shows_the_details_that_will_be_confirmed(client, petition):
    signature = make_signature(
        petition, name="Planted Name", comment="Planted words", show_name=True, country="JP"
    )
    response = client.get(confirm_url(signature))
    assertContains(response, 'value="Planted Name"')
    assertContains(response, "Planted words")
    assertContains(response, '<option value="JP" selected>', html=False)
    assertContains(response, 'name="show_name"')
    assertContains(response, "checked")
    assert Signature.objects.get().state == Signature.State.PENDING


def test_the_signer_changes_the_details_and_confirms_in_one_step(client, petition):
    signature = make_signature(petition, name="Planted Name", comment="Planted words", show_name=True)
    response = client.post(confirm_url(signature), {"name": "Kim Min-ji", "country": "KR", "comment": ""})
    assert response.status_code == 303
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    assert (signature.name, signature.country.code, signature.comment, signature.show_name) == (
        "Kim Min-ji",
        "KR",
        "",
        False,
    )


def test_unacceptable_details_on_the_confirm_page_are_explained_and_confirm_nothing(client, petition):
    signature = make_signature(petition)
    response = client.post(confirm_url(signature), {"name": "www.spam.example", "country": "KR"})
    assertContains(response, "not a web address")
    assert Signature.objects.get().state == Signature.State.PENDING


def test_a_confirm_post_without_details_confirms_as_stored(client, petition):
    signature = make_signature(petition, name="Kim Min-ji")
    assert client.post(confirm_url(signature)).status_code == 303
    signature.refresh_from_db()
    assert (signature.state, signature.name) == (Signature.State.CONFIRMED, "Kim Min-ji")


# A flood from one client ----------------------------------------------------------------


def test_past_ten_times_the_burst_a_client_gets_a_429_and_nothing_is_stored(post_sign, petition, settings):
    settings.PETITION_RATE_BURST = 1
    for n in range(10):
        assert post_sign(petition, sign_data(petition, email=f"s{n}@example.org")).status_code == 303
    response = post_sign(petition, sign_data(petition, email="flood@example.org"))
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assertContains(response, "Too many attempts", status_code=429)
    assert "no-store" in response["Cache-Control"]
    assert Signature.objects.count() == 10
    assert list(Signature.objects.values_list("state", flat=True)).count("suspected") == 9


def test_ipv6_clients_in_one_64_share_a_limit(post_sign, petition, settings):
    settings.PETITION_RATE_BURST = 1
    post_sign(petition, sign_data(petition, email="a@example.org"), REMOTE_ADDR="2001:db8:5:6::1")
    post_sign(petition, sign_data(petition, email="b@example.org"), REMOTE_ADDR="2001:db8:5:6::2")
    post_sign(petition, sign_data(petition, email="c@example.org"), REMOTE_ADDR="2001:db8:5:7::1")
    states = dict(Signature.objects.values_list("email", "state"))
    assert states == {"a@example.org": "pending", "b@example.org": "suspected", "c@example.org": "pending"}


# A confirmation link after the petition closed ------------------------------------------------


def test_a_signature_made_before_closing_is_counted_and_the_page_says_so(client, petition):
    signature = make_signature(petition, created_at=timezone.now() - timedelta(hours=1))
    petition.closes_at = timezone.now() - timedelta(minutes=1)
    petition.save()
    assert client.post(confirm_url(signature)).status_code == 303
    assert Signature.objects.get().state == Signature.State.CONFIRMED
    assertContains(
        client.get(confirm_url(signature)), "your signature was made before it closed and is counted"
    )


def test_a_signature_made_after_closing_is_not_counted(client, petition):
    petition.closes_at = timezone.now() - timedelta(hours=1)
    petition.save()
    signature = make_signature(petition)  # e.g. a form sent a moment after the closing time
    for method in (client.get, client.post):
        assertContains(method(confirm_url(signature)), "closed before this signature was made")
    assert Signature.objects.get().state == Signature.State.PENDING
