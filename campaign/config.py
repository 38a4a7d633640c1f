"""Settings values built from what the environment says: service URLs, the CSP, refused secrets.

Plain functions of their arguments: ``campaign/settings.py`` reads the
environment and passes what they need, so nothing here reads it.
"""

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP


def parse_database_url(url, *, base_dir, pool_min, pool_max, pool_timeout, server_side_cursors):
    """``DATABASES["default"]`` from ``sqlite:///path`` or ``postgres://user:password@host:port/name``."""
    parts = urlsplit(url)
    if parts.scheme in {"sqlite", "sqlite3"}:
        # sqlite:///relative/path or sqlite:////absolute/path
        path = unquote(parts.path)[1:] if parts.path.startswith("/") else unquote(parts.path)
        name = Path(path) if Path(path).is_absolute() else base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                # WAL and immediate transactions let several processes write
                # without "database is locked" errors in development.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        pool_min = int(query.pop("pool_min", pool_min))
        pool_max = int(query.pop("pool_max", pool_max))
        test_name = query.pop("test_name", None)
        options = dict(query)
        if pool_max > 0:
            # psycopg's pool replaces persistent connections (CONN_MAX_AGE stays 0).
            # timeout: how long a request waits for a connection before an error (a 503
            # page); short, so visitors are not left hanging while the database is down.
            options["pool"] = {
                "min_size": pool_min,
                "max_size": pool_max,
                "timeout": pool_timeout,
            }
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            # PgBouncer in transaction pooling mode hands each transaction to any server
            # connection, so a named cursor (which lives in one) cannot be used there.
            "DISABLE_SERVER_SIDE_CURSORS": not server_side_cursors,
            # ?test_name=… lets parallel test runs use separate test databases.
            "TEST": {"NAME": test_name},
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported.")


def parse_cache_url(url, *, timeout):
    """``CACHES["default"]`` from ``db://table``, ``redis://host:port/db``, ``locmem://name`` or ``dummy://``."""
    parts = urlsplit(url)
    if parts.scheme in {"db", "database"}:
        return {
            "BACKEND": "campaign.dbcache.DatabaseCache",  # Django's, with an atomic incr()
            "LOCATION": parts.netloc or parts.path.strip("/") or "django_cache",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    if parts.scheme in {"redis", "rediss"}:
        # Short socket timeouts: a Redis that is down or unreachable gives the visitor
        # the 503 page within a second or two, instead of holding a web worker.
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    if parts.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": parts.netloc}
    if parts.scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(f"CACHE_URL scheme {parts.scheme!r} is not supported.")


def parse_email_url(url):
    """``MAILERS["default"]`` from ``smtp://``, ``smtps://``, ``submission://``, ``file://``, ``console:`` …"""
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme in {"smtp", "smtps", "submission"}:
        query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
        options = {
            "host": parts.hostname or "localhost",
            "port": parts.port or (465 if scheme == "smtps" else 587 if scheme == "submission" else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_ssl": scheme == "smtps" or query.get("ssl") in {"1", "true", "yes"},
            "use_tls": scheme == "submission" or query.get("tls") in {"1", "true", "yes"},
            "timeout": int(query.get("timeout", 10)),
        }
        return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
    if scheme == "file":
        return {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": unquote(parts.path)},
        }
    if scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "dummy":
        return {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
    raise ImproperlyConfigured(f"EMAIL_URL scheme {scheme!r} is not supported.")


# The example values in .env.example: a deployment that copied them has no secret at all.
PLACEHOLDER_SECRETS = {"change-me-to-a-long-random-string", "change-me-to-another-long-random-string"}


def refuse_placeholder(name, value):
    if value in PLACEHOLDER_SECRETS:
        raise ImproperlyConfigured(
            f"{name} is still the example value from .env.example: set a long random secret "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )


def content_security_policy(*, analytics_script_url):
    """Django's ``SECURE_CSP``: this site's own origin only, scripts with a nonce, never framed.

    An optional analytics script's origin is allowed for scripts and connections.
    """
    policy = {
        "default-src": [CSP.SELF],
        "script-src": [CSP.SELF, CSP.NONCE],
        "style-src": [CSP.SELF],
        # Bootstrap draws a few icons as data: SVG images.
        "img-src": [CSP.SELF, "data:"],
        "font-src": [CSP.SELF],
        "connect-src": [CSP.SELF],
        "object-src": [CSP.NONE],
        "base-uri": [CSP.SELF],
        "form-action": [CSP.SELF],
        "frame-ancestors": [CSP.NONE],
    }
    analytics = urlsplit(analytics_script_url)
    if analytics.netloc:
        origin = f"{analytics.scheme}://{analytics.netloc}"
        policy["script-src"].append(origin)
        policy["connect-src"].append(origin)
    return policy


def passkey_relying_party(*, site_url):
    """``(RP ID, allowed origins)`` for passkeys: the host of an https ``SITE_URL``.

    WebAuthn needs a secure context and refuses an IP address as RP ID, so a
    plain-http site (development, tests) uses ``localhost`` on the same port.
    """
    site = urlsplit(site_url)
    if site.scheme == "https":
        return site.hostname, [f"https://{site.netloc}"]
    return "localhost", [f"http://localhost{f':{site.port}' if site.port else ''}"]
