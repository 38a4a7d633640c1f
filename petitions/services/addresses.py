"""Email and network addresses: one person's email in one form, the client's IP as a keyed hash."""

import hashlib
import hmac
import ipaddress
import unicodedata

from django.conf import settings

# Providers that ignore dots and +tags in the local part (and their aliases).
GMAIL_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def normalise_email(*, email):
    """Case-fold, NFKC, and drop dots and +tags for Gmail-style providers.

    ``Jane.Doe+news@GoogleMail.com`` and ``janedoe@gmail.com`` are one person;
    ``jane.doe@example.org`` keeps its dot, since other providers may treat
    ``janedoe`` as someone else. Domains are compared in their IDNA (punycode) form.
    """
    # NFKC before and after case-folding (Unicode's NFKC_Casefold): full-width
    # letters become ASCII and "ß" becomes "ss".
    email = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email or "").casefold()).strip()
    local, at, domain = email.rpartition("@")
    if not at:
        return email
    domain = _ascii_domain(domain.rstrip("."))
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = GMAIL_DOMAINS[domain]
    return f"{local}@{domain}"


def _ascii_domain(domain):
    """The domain in its IDNA (punycode) form, so that ``例え.jp`` and ``xn--r8jz45g.jp`` are one domain."""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:  # not a valid international name: compared as typed
        return domain


# Clients whose address is missing or unreadable share one bucket: never "no limit".
UNKNOWN_CLIENT = "unknown"


def client_network(ip):
    """What one client is, for limits and the stored hash: an IPv4 address, or an IPv6 client's /64.

    One IPv6 subscriber is usually given a whole /64, so counting single IPv6
    addresses would let one person sign from 2**64 of them.
    """
    try:
        address = ipaddress.ip_address(str(ip or "").strip())
    except ValueError:
        return UNKNOWN_CLIENT
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def hash_ip(*, ip):
    """A keyed hash (HMAC with settings.IP_HASH_KEY) of the client's network (see ``client_network``)."""
    network = client_network(ip)
    return hmac.new(settings.IP_HASH_KEY.encode(), network.encode(), hashlib.sha256).hexdigest()


def _valid_ip(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(*, meta):
    """The client's address from ``request.META``.

    ``X-Forwarded-For`` is anyone's to write, so it is read only when
    ``PROXY_COUNT`` proxies stand in front of the site; each appends the address
    it saw, so the client is the ``PROXY_COUNT``-th entry from the right.
    """
    remote = _valid_ip(meta.get("REMOTE_ADDR", "")) or ""
    proxies = settings.PROXY_COUNT
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
        if len(entries) >= proxies:
            return _valid_ip(entries[-proxies]) or remote
    return remote
