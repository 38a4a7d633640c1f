"""Background work for the petition.

MINIMAL STUB written on the staff branch so the staff tools can enqueue the
confirmation email; the petition branch's version (which renders and sends the
email) replaces this file in the merge.
"""

from django.tasks import task


@task
def send_confirmation(signature_id):
    """Send the confirmation email for one pending signature (stub)."""
    return None
