from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """Django's admin, whose default site asks for a second factor (campaign.staff.site)."""

    default_site = "campaign.staff.site.StaffAdminSite"

    def ready(self):
        super().ready()
        from django.contrib.auth.signals import user_login_failed

        from campaign.staff.lockout import on_sign_in_failed

        # Django's documented hook for a failed sign-in, the one axes counts by too.
        user_login_failed.connect(on_sign_in_failed, dispatch_uid="staff-username-failure-limit")
