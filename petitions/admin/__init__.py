"""Admin for petitions (content editors) and signatures (the supporter-data group)."""

from petitions.admin import members, petitions, signatures, updates  # noqa: F401  (registers the model admins)
