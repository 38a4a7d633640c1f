"""The typed readers of the environment that ``campaign/settings.py`` is built from.

The only code besides settings.py that reads ``os.environ``; everything else reads
``django.conf.settings``. A value that is set but malformed stops start-up with a message.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from campaign.config import refuse_placeholder


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
    if env_bool("DEBUG", False):
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
