"""Share links without trackers, and the petition's social card (og:image)."""

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains

from coalition.tests.factories import make_member
from petitions import cards
from petitions.models import Signature
from petitions.services import tokens
from petitions.tests.factories import make_petition, make_signature, sign_data

pytestmark = [pytest.mark.django_db]

SERVICES = ["Email", "X", "Facebook", "Bluesky", "LINE", "WhatsApp", "Telegram"]


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def petition():
    return make_petition(title="For a UN Commission of Inquiry", title_ko="유엔 조사위원회 설치를 촉구합니다")


def share_hrefs(response):
    """{service name: href} of the share block's links."""
    block = re.search(
        r'<section class="petition-share".*?</section>', response.content.decode(), re.S
    ).group()
    return {
        name: href for href, name in re.findall(r'<a class="btn[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>', block)
    }


def test_the_petition_page_has_a_plain_link_for_every_service_and_no_third_party_script(client, petition):
    response = client.get(petition.get_absolute_url())
    links = share_hrefs(response)
    assert sorted(links) == sorted(SERVICES)
    assert links["Email"].startswith("mailto:?subject=")
    assert links["X"].startswith("https://x.com/intent/post?")
    assert links["LINE"].startswith("https://social-plugins.line.me/lineit/share?")
    scripts = re.findall(rb'<script[^>]*src="([^"]+)"', response.content)
    assert scripts and all(src.startswith(b"/static/") for src in scripts)
    # Without JavaScript the address is there to copy by hand; the buttons wait for share.js.
    assertContains(response, f'value="http://testserver/petitions/{petition.slug}/" readonly')
    assertContains(response, "data-copy-from")
    assert b"hidden>Copy link" in response.content


def test_the_shared_address_carries_the_members_ref(client, petition):
    member = make_member(slug="nk-watch")
    response = client.get(f"{petition.get_absolute_url()}?ref=nk-watch")
    facebook = share_hrefs(response)["Facebook"]
    shared = parse_qs(urlsplit(facebook.replace("&amp;", "&")).query)["u"][0]
    assert shared == f"http://testserver/petitions/{petition.slug}/?ref={member.slug}"


def test_an_unknown_ref_is_not_shared(client, petition):
    response = client.get(f"{petition.get_absolute_url()}?ref=made-up")
    assertNotContains(response, "made-up")


def test_the_thanks_page_shares_with_the_ref_the_signer_came_with(client, petition):
    member = make_member(slug="nk-watch")
    response = client.post(petition.get_absolute_url(), sign_data(petition, ref="nk-watch"))
    assert (
        response["Location"] == reverse("petitions:thanks", kwargs={"slug": petition.slug}) + "?ref=nk-watch"
    )
    thanks = client.get(response["Location"])
    assertContains(thanks, f"%3Fref%3D{member.slug}")


def test_the_confirmed_page_shares_with_the_signatures_member(client, petition):
    member = make_member(slug="nk-watch")
    signature = make_signature(petition, state=Signature.State.CONFIRMED, referrer=member)
    url = reverse(
        "petitions:confirm",
        kwargs={"slug": petition.slug, "token": tokens.make_token(signature=signature, purpose="confirm")},
    )
    response = client.get(url)
    assertContains(response, "Ask others to sign")
    assertContains(response, f"%3Fref%3D{member.slug}")


# The social card ---------------------------------------------------------------------------


def test_the_petition_page_names_its_card_with_absolute_urls(client, petition):
    response = client.get(petition.get_absolute_url())
    card = f"http://testserver/en/petitions/{petition.slug}/card.png"
    assertContains(response, f'<meta property="og:image" content="{card}">', html=True)
    assertContains(response, '<meta name="twitter:card" content="summary_large_image">', html=True)
    assertContains(response, '<meta property="og:description"')
    assert b'content="http://testserver/en/petitions/' in response.content


def test_other_pages_have_a_summary_card(client):
    assertContains(client.get("/en/about/"), '<meta name="twitter:card" content="summary">', html=True)


def test_the_card_is_a_1200_by_630_png_cached_for_a_few_minutes(petition, settings):
    settings.SOCIAL_CARD_SECONDS = 300
    response = Client().get(reverse("petitions:card", kwargs={"slug": petition.slug}))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (1200, 630)
    assert "max-age=300" in response["Cache-Control"] and "public" in response["Cache-Control"]
    again = Client().get(reverse("petitions:card", kwargs={"slug": petition.slug}))
    assert again["X-Page-Cache"] == "hit"
    assert again.content == response.content


def test_the_card_draws_a_korean_title_with_the_cjk_font(petition):
    if cards.font_path() is None or "CJK" not in cards.font_path():
        pytest.skip("no CJK font installed (fonts-noto-cjk)")
    assert cards.can_draw(cards.font(64, "ko"), "유엔 조사위원회")
    with translation.override("ko"):
        url = reverse("petitions:card", kwargs={"slug": petition.slug})
    assert Client().get(url).status_code == 200


def test_a_font_without_the_titles_glyphs_falls_back_to_the_english_title(settings):
    settings.SOCIAL_CARD_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
    latin = cards.font(64, "ko")
    assert not cards.can_draw(latin, "유엔")
    drawn = cards.draw_card(
        title="유엔 조사위원회",
        fallback_title="For a UN Commission",
        count_text="서명 12명",
        count_figure="12",
        site_name="ICNK",
        language="ko",
    )
    english = cards.draw_card(
        title="For a UN Commission",
        fallback_title="",
        count_text="12",
        count_figure="12",
        site_name="ICNK",
        language="ko",
    )
    assert drawn == english


def test_a_missing_font_file_falls_back_to_pillows_own(settings, petition):
    settings.SOCIAL_CARD_FONT = "/no/such/font.ttf"
    response = Client().get(reverse("petitions:card", kwargs={"slug": petition.slug}))
    assert response.status_code == 200


def test_a_long_title_wraps_into_at_most_three_lines():
    face = cards.font(64)
    lines = cards.wrap("word " * 60, face, 1000, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(face.getlength(line) <= 1000 for line in lines)
    cjk = cards.wrap("조사위원회" * 30, cards.font(64, "ko"), 1000, 3)
    assert len(cjk) == 3
