"""Admin for the campaign app: content (appeals, timeline, statements…) and the petition."""

from campaign.admin import content, petition  # noqa: F401  (registers the model admins)
