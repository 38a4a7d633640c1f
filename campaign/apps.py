from django.apps import AppConfig


class CampaignConfig(AppConfig):
    name = "campaign"
    verbose_name = "Campaign"

    def ready(self):
        # Cached pages are invalidated when staff change any content model,
        # including those of coalition and testimonies (campaign may import them).
        from campaign.caching import connect_invalidation_signals, use_faster_csrf_randomness

        connect_invalidation_signals()
        use_faster_csrf_randomness()
