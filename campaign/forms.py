"""The signing form. It validates and judges suspicion; signing is services.sign_petition."""

import functools
import re
import unicodedata

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django_countries import countries

from coalition.models import Member

FORM_SALT = "campaign.petition.form-issued"

# Bidirectional overrides and isolates can disguise a name's text; line and
# paragraph separators break layouts and exports.
INVISIBLE_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")
URL_PATTERN = re.compile(
    r"[a-z][a-z0-9+.-]*://|\bwww\.|"
    r"\b[a-z0-9-]+\.(?:com|net|org|info|biz|io|co|me|ru|cn|xyz|top|site|online|link|click|ly|gl|to)\b",
    re.IGNORECASE,
)
# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@")


def reject_control_characters(value, *, allow_newlines=False):
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    for char in value:
        if char in allowed:
            continue
        if unicodedata.category(char) == "Cc" or char in INVISIBLE_CONTROLS:
            raise ValidationError(
                "Please remove invisible or control characters (for example pasted formatting).",
                code="control_characters",
            )


def validate_name(value):
    reject_control_characters(value)
    if URL_PATTERN.search(unicodedata.normalize("NFKC", value)):
        raise ValidationError("Please enter your name, not a web address.", code="url")
    if unicodedata.normalize("NFKC", value).lstrip().startswith(FORMULA_PREFIXES):
        raise ValidationError("A name cannot start with =, +, - or @.", code="formula")


def validate_comment(value):
    reject_control_characters(value, allow_newlines=True)


class LenientField(forms.Field):
    """A hidden value that must never produce an error a person cannot see or fix."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return value if isinstance(value, str) else ""


def issue_form_stamp(petition):
    """A signed value recording when (and for which petition) the form was served."""
    return signing.TimestampSigner(salt=FORM_SALT).sign(str(petition.pk))


def form_filled_too_fast(stamp, petition):
    """True when the stamp is missing, forged, for another petition, or younger than the minimum.

    The stamp's clock has one-second resolution, so a form may pass up to a
    second early; that is enough to catch scripts.
    """
    signer = signing.TimestampSigner(salt=FORM_SALT)
    minimum = settings.PETITION_MIN_FILL_SECONDS
    try:
        value = signer.unsign(stamp)
    except signing.BadSignature:
        return True
    if value != str(petition.pk):
        return True
    if minimum <= 0:
        return False
    try:
        signer.unsign(stamp, max_age=minimum)
    except signing.SignatureExpired:
        return False  # older than the minimum: a person had time to read and type
    return True


class CountryField(forms.ChoiceField):
    """A country code from django-countries' list, checked by a set lookup (not a walk through 250 choices)."""

    def valid_value(self, value):
        return value in _country_codes()


@functools.cache
def _country_codes():
    return frozenset(code for code, _ in countries)


class SignatureForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        validators=[validate_name],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        max_length=254,
        help_text="We send you a link to confirm your signature.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    country = CountryField(
        choices=lambda: [("", "Choose your country"), *countries],
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    comment = forms.CharField(
        required=False,
        max_length=500,
        validators=[validate_comment],
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        help_text="Optional, at most 500 characters. Not shown publicly.",
    )
    show_name = forms.BooleanField(required=False, label="Show my name and country in the list of signers")
    keep_informed = forms.BooleanField(required=False, label="Keep me informed about this campaign by email")
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": "Please tick this box to agree, or we cannot count your signature."},
    )
    # A honeypot: hidden from people (visually and from screen readers), filled
    # in by bots that complete every field they find.
    website = forms.Field(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    issued = LenientField()
    ref = LenientField()

    def __init__(self, *args, petition, consent_wording, **kwargs):
        super().__init__(*args, **kwargs)
        self.petition = petition
        self.consent_wording = consent_wording
        self.fields["consent"].label = format_html(
            '{} <a href="{}">Read our privacy notice</a>.',
            consent_wording.text if consent_wording else "",
            reverse("campaign:privacy"),
        )
        if not self.is_bound:
            self.initial.setdefault("issued", issue_form_stamp(petition))

    @functools.cached_property
    def helper(self):
        """The layout for ``{% crispy %}``; made only when the form is shown, not for each POST."""
        helper = FormHelper()
        helper.form_method = "post"
        helper.form_action = self.petition.get_absolute_url()
        helper.form_id = "sign-form"
        helper.attrs = {"novalidate": ""}
        helper.layout = Layout(
            "name",
            "email",
            "country",
            "comment",
            "show_name",
            "keep_informed",
            "consent",
            Div(Field("website"), css_class="visually-hidden", aria_hidden="true"),
            "issued",
            "ref",
            Submit("sign", "Sign the petition", css_class="btn-lg"),
        )
        return helper

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_ref(self):
        """The referring coalition member's slug; an unknown one is ignored, never an error."""
        slug = self.cleaned_data.get("ref", "")
        if not re.fullmatch(r"[-\w]{1,200}", slug):
            return None
        return Member.objects.published().filter(slug=slug).first()

    @property
    def is_suspicious(self):
        """Honeypot filled or form sent faster than a person can: sign quietly as ``suspected``."""
        honeypot = self.data.get("website", "")
        return bool(honeypot) or form_filled_too_fast(self.data.get("issued", ""), self.petition)
