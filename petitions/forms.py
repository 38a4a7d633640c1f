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
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from coalition.models import Member
from petitions.exports import FORMULA_PREFIXES
from petitions.services.addresses import normalise_email

FORM_SALT = "campaign.petition.form-issued"

# Line and paragraph separators break layouts and exports (they are category Zl/Zp, not Cf).
LINE_SEPARATORS = frozenset("\u2028\u2029")
# Every pattern below is linear in its input: a match can start only where a
# token starts (the lookbehinds), so no position is scanned from twice over.
# Values reach them only once their length has been checked (BoundedCharField).
URL_PATTERN = re.compile(
    r"://|\bwww\.|"
    r"(?<![a-z0-9-])[a-z0-9-]+\.(?:com|net|org|info|biz|io|co|me|ru|cn|xyz|top|site|online|link|click|ly|gl|to|su)\b",
    re.IGNORECASE,
)


def reject_control_characters(value, *, allow_newlines=False):
    """Refuse control characters (Cc), invisible format characters (Cf) and line separators.

    Format characters (zero-width spaces, direction marks and overrides, word
    joiners, byte-order marks) are invisible on the page: in a public name they
    can hide a web address or reverse how the text reads.
    """
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    for char in value:
        if char in allowed:
            continue
        if unicodedata.category(char) in ("Cc", "Cf") or char in LINE_SEPARATORS:
            raise ValidationError(
                _("Please remove invisible or control characters (for example pasted formatting)."),
                code="control_characters",
            )


def looks_like_web_address(value):
    """True when the text, as a reader sees it (format characters dropped, NFKC), holds a web address."""
    visible = "".join(char for char in value if unicodedata.category(char) != "Cf")
    return URL_PATTERN.search(unicodedata.normalize("NFKC", visible)) is not None


def validate_name(value):
    reject_control_characters(value)
    visible = unicodedata.normalize("NFKC", value)
    if looks_like_web_address(value):
        raise ValidationError(_("Please enter your name, not a web address."), code="url")
    if visible.lstrip().startswith(FORMULA_PREFIXES):
        raise ValidationError(_("A name cannot start with =, +, - or @."), code="formula")


def validate_comment(value):
    reject_control_characters(value, allow_newlines=True)


class BoundedMixin:
    """Refuse an over-long value before any validator or pattern sees it.

    Django runs every validator and collects their errors, so a plain
    ``max_length`` does not stop a costly check from running on a huge value.
    """

    def to_python(self, value):
        if isinstance(value, str) and self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(
                _("Please shorten this to at most %(limit)d characters (it has %(length)d)."),
                code="max_length",
                params={"limit": self.max_length, "length": len(value)},
            )
        return super().to_python(value)

    def bound_data(self, data, initial):
        """What the form shows again: a value that does not fit is not echoed back into the page."""
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            return ""
        return super().bound_data(data, initial)


class BoundedCharField(BoundedMixin, forms.CharField):
    pass


class BoundedEmailField(BoundedMixin, forms.EmailField):
    pass


class LenientField(forms.Field):
    """A hidden value that must never produce an error a person cannot see or fix."""

    widget = forms.HiddenInput

    def __init__(self, *, max_length=1000, **kwargs):
        kwargs.setdefault("required", False)
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_python(self, value):
        if not isinstance(value, str) or len(value) > self.max_length:
            return ""
        return value

    def bound_data(self, data, initial):
        return self.to_python(data)


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


def form_is_stale(stamp, petition):
    """True when a genuine stamp for this petition is older than PETITION_FORM_MAX_AGE_HOURS."""
    signer = signing.TimestampSigner(salt=FORM_SALT)
    try:
        signer.unsign(stamp, max_age=settings.PETITION_FORM_MAX_AGE_HOURS * 3600)
    except signing.SignatureExpired:
        return signer.unsign(stamp) == str(petition.pk)
    except signing.BadSignature:
        return False  # forged or missing: judged as suspicious instead, never refused
    return False


class CountryField(forms.ChoiceField):
    """A country code from django-countries' list, checked by a set lookup (not a walk through 250 choices).

    The error never repeats what was sent: a made-up value can be any size.
    """

    default_error_messages = {"invalid_choice": _("Please choose your country from the list.")}

    def valid_value(self, value):
        return value in _country_codes()


@functools.cache
def _country_codes():
    return frozenset(code for code, name in countries)


class SignatureForm(forms.Form):
    name = BoundedCharField(
        label=_("Name"),
        max_length=100,
        validators=[validate_name],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = BoundedEmailField(
        max_length=254,
        label=_("Email"),
        help_text=_("We send you a link to confirm your signature."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    country = CountryField(
        label=_("Country"),
        # Called each time the form is drawn: the names, and their order, follow the page's language.
        choices=lambda: [("", _("Choose your country")), *countries],
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    comment = BoundedCharField(
        required=False,
        label=_("Comment"),
        max_length=500,
        validators=[validate_comment],
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        help_text=_("Optional, at most 500 characters. Not shown publicly."),
    )
    show_name = forms.BooleanField(required=False, label=_("Show my name and country in the list of signers"))
    keep_informed = forms.BooleanField(
        required=False, label=_("Keep me informed about this campaign by email")
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("Please tick this box to agree, or we cannot count your signature.")},
    )
    # A honeypot: hidden from people (visually and from screen readers), filled
    # in by bots that complete every field they find.
    website = LenientField(
        max_length=200,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    issued = LenientField()
    ref = LenientField()

    def __init__(self, *args, petition, consent_wording, **kwargs):
        super().__init__(*args, **kwargs)
        self.petition = petition
        self.consent_wording = consent_wording
        self.fields["consent"].label = format_html(
            '{} <a href="{}">{}</a>.',
            consent_wording.text if consent_wording else "",
            reverse("campaign:privacy"),
            _("Read our privacy notice"),
        )
        if not self.is_bound:
            self.initial.setdefault("issued", issue_form_stamp(petition))
        else:
            # The stamp as posted judges the form; shown again, the form carries a new one.
            self.posted_stamp = self.data.get("issued", "")
            self.data = self.data.copy()
            self.data["issued"] = issue_form_stamp(petition)

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
            Submit("sign", _("Sign the petition"), css_class="btn-lg"),
        )
        return helper

    def clean_email(self):
        """Refuse an address whose part before the @ is not plain ASCII once normalised.

        An address typed with a long s (U+017F) for "s" normalises to ``sam@example.org``, but mail
        servers (and Django's SMTP backend) refuse such addresses as written: the
        confirmation could never be sent, and the real sam@ could never sign.
        """
        email = self.cleaned_data["email"]
        local = normalise_email(email=email).rpartition("@")[0]
        if not local.isascii() or not email.rpartition("@")[0].isascii():
            raise ValidationError(
                _(
                    "Please type the part before the @ in plain Latin letters, digits and punctuation: "
                    "we cannot send email to this address."
                ),
                code="non_ascii_local_part",
            )
        return email

    def clean(self):
        cleaned = super().clean()
        if form_is_stale(self.posted_stamp, self.petition):
            raise ValidationError(
                _(
                    "This form was opened more than %(hours)d hours ago. Please check your details "
                    "and press the button again."
                ),
                code="stale",
                params={"hours": settings.PETITION_FORM_MAX_AGE_HOURS},
            )
        return cleaned

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
        return bool(honeypot) or form_filled_too_fast(self.posted_stamp, self.petition)


class ConfirmDetailsForm(forms.Form):
    """What the signer confirms, shown on the confirmation page and changeable there before confirming.

    An earlier submission with the same address may have carried someone
    else's name or choices: the owner sees them and decides. The fields and
    their checks are the signing form's own.
    """

    name = SignatureForm.base_fields["name"]
    country = SignatureForm.base_fields["country"]
    show_name = SignatureForm.base_fields["show_name"]
    comment = SignatureForm.base_fields["comment"]

    @classmethod
    def for_signature(cls, signature):
        return cls(initial={name: getattr(signature, name) for name in cls.base_fields})
