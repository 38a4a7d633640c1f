"""English as the coalition writes it: British dates (9 December 2011) and numbers (10,000)."""

from django.conf.locale.en_GB.formats import *  # noqa: F403

DATE_FORMAT = "j F Y"  # '9 December 2011'
DATETIME_FORMAT = "j F Y, H:i"  # '9 December 2011, 14:30'
TIME_FORMAT = "H:i"
