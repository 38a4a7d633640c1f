"""Builders every app's tests share: staff users in the staff groups (made by a data migration)."""

import itertools

from django.contrib.auth.models import Group, User

_numbers = itertools.count(1)

CONTENT_EDITORS = "Content editors"
SUPPORTER_DATA = "Supporter data"


def make_staff_user(group_name=None, username=None, **overrides):
    """A staff user, in the named group if one is given."""
    username = username or f"staff{next(_numbers)}"
    # No password: tests log in with force_login, and hashing one is slow.
    user = User.objects.create_user(username=username, password=None, is_staff=True, **overrides)
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


def make_content_editor(username=None):
    return make_staff_user(CONTENT_EDITORS, username=username)


def sign_in_staff(client, user):
    """``force_login`` plus a passed second factor, as the admin demands of every staff session."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    client.force_login(user)
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Test device")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return user


def make_recovery_token(user, token="recovery1"):
    """A single-use static (recovery) token for ``user``, as ``manage.py addstatictoken`` makes."""
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes")
    device.token_set.create(token=token)
    return token
