from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """Django's admin, whose default site asks for a second factor (campaign.staff.site)."""

    default_site = "campaign.staff.site.StaffAdminSite"
