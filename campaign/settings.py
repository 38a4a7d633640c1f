"""Settings for the campaign site.

Every value comes from the environment (see README and .env.example); the
defaults serve development on SQLite. Nothing else in the code base reads
``os.environ``.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from campaign.config import (
    content_security_policy,
    parse_cache_url,
    parse_database_url,
    parse_email_url,
    passkey_relying_party,
    refuse_placeholder,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def required(name, dev_default):
    """A secret that development may default but production must set."""
    value = env(name)
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(
        f"The {name} environment variable is required when DEBUG is off. "
        "See the README's configuration table."
    )


def secret(name, dev_default):
    """A required secret that is not one of the placeholders from .env.example."""
    value = required(name, dev_default)
    refuse_placeholder(name, value)
    return value


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = secret("SECRET_KEY", "django-insecure-development-only-key-do-not-deploy")
# Earlier keys, comma-separated, newest first: links already emailed (signed with an old key) keep
# working while SECRET_KEY rotates. Remove an old key once its links no longer matter.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
for _fallback in SECRET_KEY_FALLBACKS:
    refuse_placeholder("SECRET_KEY_FALLBACKS", _fallback)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or (
    ["127.0.0.1", "localhost", "[::1]"] if DEBUG else required("ALLOWED_HOSTS", None)
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Named in every answer's X-Node header, so that an operator (and the cluster test) can tell
# which app node behind the load balancer answered; empty: no header.
NODE_NAME = env("NODE_NAME", "")

# The absolute address of the site, for links in emails and feeds.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env("SITE_NAME", "International Coalition to Stop Crimes Against Humanity in North Korea")
# The prefix of the public API's OSDI identifiers ("icnk:<petition-slug>").
API_IDENTIFIER_PREFIX = env("API_IDENTIFIER_PREFIX", "icnk")

INSTALLED_APPS = [
    # modeltranslation before the admin, so its translated fields show in the admin forms.
    "modeltranslation",
    # Django's admin with the site that demands a second factor (campaign.staff.site).
    "campaign.staff.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_countries",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "pagecache",
    "translations",
    "campaign",
    "petitions",
    "coalition",
    "testimonies",
]

MIDDLEWARE = [
    # Outermost, so that every answer names the node that gave it, error pages included.
    "campaign.middleware.NodeNameMiddleware",
    # Security headers first, so that every response carries them. X-Frame-Options
    # and the CSP sit before WhiteNoise too: static files and early refusals (413)
    # never reach the middleware below, and should carry the same headers.
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Oversized bodies are refused from their Content-Length, before anything reads them.
    "campaign.middleware.RequestSizeLimitMiddleware",
    # WhiteNoise next: static files skip sessions, CSRF and the database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the URL prefix (/ko/…), else the language cookie, then
    # Accept-Language, then LANGUAGE_CODE. After the session (it used to read the
    # session, and third-party code may still expect that order) and before
    # CommonMiddleware, so that APPEND_SLASH tries the language-prefixed path and
    # an old unprefixed URL is redirected to /<lang>/… instead of ending in a 404.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: it tells whether this session's user passed a second factor.
    "django_otp.middleware.OTPMiddleware",
    # After sessions and authentication: marks a session in use with a signed cookie, so that the
    # page cache tells staff from a made-up session cookie without a database look-up.
    "pagecache.personal.PersonalMarkerMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Axes must come last: it inspects the response of the login view.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out login never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    # Then the per-username ceiling across addresses (AXES_USERNAME_FAILURE_LIMIT an hour).
    "campaign.staff.lockout.UsernameFailureLimitBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "campaign.urls"
WSGI_APPLICATION = "campaign.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campaign.context_processors.site",
            ],
        },
    },
]


# Database -------------------------------------------------------------------


DATABASE_URL = env("DATABASE_URL")
if not DATABASE_URL:
    # The development default: a SQLite file in the git-ignored var/ folder.
    VAR_DIR.mkdir(exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": parse_database_url(
        DATABASE_URL,
        base_dir=BASE_DIR,
        pool_min=env_int("DATABASE_POOL_MIN", 1),
        pool_max=env_int("DATABASE_POOL_MAX", 8),
        # How long a request waits for a connection before the 503 page.
        pool_timeout=env_int("DATABASE_POOL_TIMEOUT", 5),
        # Off behind PgBouncer in transaction pooling mode.
        server_side_cursors=not env_bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", False),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# Cache (shared by every process: rate limits, counts, cached pages) --------


CACHES = {
    "default": parse_cache_url(env("CACHE_URL", "db://django_cache"), timeout=env_int("CACHE_TIMEOUT", 2))
}


# Email ----------------------------------------------------------------------


# Development writes mail to files; production must name its mail server, or no confirmation
# email would ever leave and every message would stay on disk.
MAILERS = {"default": parse_email_url(required("EMAIL_URL", f"file://{VAR_DIR / 'mail'}"))}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "ICNK campaign <petition@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)


# Tasks ----------------------------------------------------------------------

TASKS_BACKEND = env("TASKS_BACKEND", "immediate")
if TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
elif TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
else:
    raise ImproperlyConfigured("TASKS_BACKEND must be 'immediate' or 'database'.")
# Sending mail inside the request makes a new address's answer slower than a
# duplicate's (it tells who has signed) and ties web workers to the mail server:
# a production site queues it, unless a small deployment says it accepts that.
if not DEBUG and TASKS_BACKEND == "immediate" and not env_bool("ALLOW_IMMEDIATE_TASKS"):
    raise ImproperlyConfigured(
        "TASKS_BACKEND=immediate sends email inside the request, which shows who has signed by the "
        "answer's speed: set TASKS_BACKEND=database and run `manage.py db_worker`, or set "
        "ALLOW_IMMEDIATE_TASKS=1 to accept it."
    )


# Auth -----------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
# Lock an address for a user, not the user everywhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Off: a right password must not wipe the wrong second-factor codes before it. The failures of an
# address for a user are forgotten when the second factor is passed (campaign.staff.views).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "axes_lockout.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# The client's address as the rest of the site reads it (X-Forwarded-For only behind PROXY_COUNT
# proxies): behind nginx, REMOTE_ADDR is the proxy's, and one lockout would lock every address.
AXES_CLIENT_IP_CALLABLE = "campaign.staff.lockout.client_ip_for_axes"
# Failures of one username from all addresses together, an hour (campaign.staff.lockout).
AXES_USERNAME_FAILURE_LIMIT = env_int("AXES_USERNAME_FAILURE_LIMIT", 50)

# A staff session ends this long after the password was given, however busy it stays.
STAFF_SESSION_SECONDS = env_int("STAFF_SESSION_SECONDS", 8 * 60 * 60)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "ICNK campaign")

# Passkeys (WebAuthn, django-otp-webauthn) as a second factor, never instead of the password.
# A passkey is bound to its relying party ID, the host of SITE_URL: moving the site to another
# domain means every staff member registers their passkey again. WebAuthn needs a secure
# context, so on a plain-http SITE_URL (development, tests) passkeys work at http://localhost
# on the same port only.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_RP_ID, OTP_WEBAUTHN_ALLOWED_ORIGINS = passkey_relying_party(site_url=SITE_URL)


# Internationalisation ------------------------------------------------------

# The coalition's languages. English is the source language of every text;
# it is written and dated the British way (campaign/formats/en/formats.py).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("ko", "Korean"),
    ("ja", "Japanese"),
    ("fr", "French"),
]
# Each language named in itself, for the switcher and hreflang titles.
LANGUAGE_NATIVE_NAMES = {"en": "English", "ko": "한국어", "ja": "日本語", "fr": "Français"}
# Open Graph wants a territory: the coalition's own countries.
LANGUAGE_OG_LOCALES = {"en": "en_GB", "ko": "ko_KR", "ja": "ja_JP", "fr": "fr_FR"}
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django's own formats, except English's dates (9 December 2011, not December 9, 2011).
FORMAT_MODULE_PATH = ["campaign.formats"]
# 10,000 in English, 10 000 in French, from each language's format file.
USE_THOUSAND_SEPARATOR = True
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The language switcher's cookie lasts a year, like the cookie choice; it is
# strictly necessary (it only remembers a choice the visitor made).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)

# django-modeltranslation: English is the source; a field missing in the page's
# language falls back to English (the page then says so, see translations/).
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "ko", "ja", "fr")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)


# Static and media files ----------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
WHITENOISE_MAX_AGE = 3600
# Serve straight from the app and project static folders (no collectstatic):
# development, and tests that fetch static files through the middleware.
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS", False)


# Security -------------------------------------------------------------------

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script on the site reads the CSRF cookie (forms carry the token), so hide it from JavaScript.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "campaign.views.site.csrf_failure"
if env("SECURE_PROXY_SSL_HEADER"):
    # e.g. "HTTP_X_FORWARDED_PROTO,https" behind a TLS-terminating proxy.
    SECURE_PROXY_SSL_HEADER = tuple(env_list("SECURE_PROXY_SSL_HEADER"))

# Requests larger than this are refused before they are read into memory: a
# Content-Length above it (plus a small margin) gets a 413 from
# campaign.middleware outside the admin; Django answers 400 for the rest.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 256 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# Optional self-hosted analytics script, loaded only after consent.
ANALYTICS_SCRIPT_URL = env("ANALYTICS_SCRIPT_URL", "")

SECURE_CSP = content_security_policy(analytics_script_url=ANALYTICS_SCRIPT_URL)


# Crispy forms ---------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"


# Petition -------------------------------------------------------------------

# Keyed hash of client IPs; a separate secret so that rotating SECRET_KEY does
# not break rate limits, and leaking one does not reveal the other.
IP_HASH_KEY = secret("IP_HASH_KEY", "development-ip-hash-key")
# Trust X-Forwarded-For only when this many proxies stand in front of the site.
PROXY_COUNT = env_int("PROXY_COUNT", 0)
PETITION_COUNT_MAX_AGE = env_int("PETITION_COUNT_MAX_AGE", 10)  # seconds
PETITION_MIN_FILL_SECONDS = env_int("PETITION_MIN_FILL_SECONDS", 2)
# A form older than this is shown again (values kept) instead of being signed.
PETITION_FORM_MAX_AGE_HOURS = env_int("PETITION_FORM_MAX_AGE_HOURS", 24)
PETITION_RATE_LIMITS = env_bool("PETITION_RATE_LIMITS", True)
PETITION_RATE_BURST = env_int("PETITION_RATE_BURST", 5)  # signatures per IP a minute
PETITION_RATE_SUSTAINED = env_int("PETITION_RATE_SUSTAINED", 30)  # per IP an hour
# A still-pending signer who signs again gets the email again at most this often.
PETITION_RESEND_COOLDOWN = env_int("PETITION_RESEND_COOLDOWN", 300)  # seconds
PETITION_CONFIRM_MAX_AGE_DAYS = env_int("PETITION_CONFIRM_MAX_AGE_DAYS", 7)
PETITION_PENDING_RETENTION_DAYS = env_int("PETITION_PENDING_RETENTION_DAYS", 7)
PETITION_SUSPECTED_RETENTION_DAYS = env_int("PETITION_SUSPECTED_RETENTION_DAYS", 30)
PETITION_CLOSED_RETENTION_DAYS = env_int("PETITION_CLOSED_RETENTION_DAYS", 183)
# The staff action log (exports, views, searches and changes of signatures, failed sign-ins).
STAFF_LOG_RETENTION_DAYS = env_int("STAFF_LOG_RETENTION_DAYS", 730)
# Finished background task results (a failed send's traceback among them).
TASK_RESULT_RETENTION_DAYS = env_int("TASK_RESULT_RETENTION_DAYS", 14)

# Anonymous pages are cached in the shared cache for at most this long (see
# the pagecache package); 0 switches the page cache off, the default in
# development so that template edits show at once.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 0 if DEBUG else 60)
# Each process also keeps its own copies of the pages, and reads the shared
# content version (bumped by every staff edit) at most this often: a change
# shows at once in the process that made it and within this bound elsewhere.
PAGE_CACHE_VERSION_SECONDS = env_int("PAGE_CACHE_VERSION_SECONDS", 1)
# New visitors' CSRF secrets from one os.urandom call instead of one per
# character (pagecache/csrf.py); "0" keeps Django's own, e.g. to measure it.
PAGE_CACHE_CSRF_PATCH = env_bool("PAGE_CACHE_CSRF_PATCH", True)
# Cached pages differ by the visitor's cookie choice (the banner, analytics).
PAGE_CACHE_VARIANT = "campaign.consent.consent_from_request"


# Logging --------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
