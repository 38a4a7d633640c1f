"""Run by scenario ``updates`` in the site's environment: queue and send one update to N opted-in signers.

Prints one JSON line: recipients queued per second, emails rendered and handed to SMTP per second,
and the process's peak memory after a tenth of the sending and at the end (flat: it does not grow
with the list, because deliveries are read and sent a batch at a time). The signers are spread over
the four languages and the update is written in English and Korean, so a quarter read it in Korean
and the Japanese and French halves read the English text with their own footer.
"""

import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")

import django

django.setup()

from django.utils import timezone  # noqa: E402

from petitions import update_mail  # noqa: E402
from petitions.models import ConsentWording, Petition, Signature, UpdateDelivery  # noqa: E402
from petitions.services import updates  # noqa: E402

LANGUAGES = ("en", "ko", "ja", "fr")


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(count, send_seconds):
    stamp = f"{time.time_ns():x}"
    petition = Petition.objects.create(
        title="Bench updates", slug=f"bench-updates-{stamp}", ask="Bench", addressee="Bench",
        state=Petition.State.OPEN,
    )  # fmt: skip
    wording = ConsentWording.objects.create(petition=petition, version=1, text="Bench consent")
    now = timezone.now()
    for start in range(0, count, 5000):
        Signature.objects.bulk_create(
            Signature(
                petition=petition, name=f"Bench {n}", email=f"u{n}-{stamp}@bench.invalid",
                email_normalised=f"u{n}-{stamp}@bench.invalid", consent_wording=wording,
                state=Signature.State.CONFIRMED, confirmed_at=now, keep_informed=True,
                language=LANGUAGES[n % len(LANGUAGES)],
            )
            for n in range(start, min(start + 5000, count))
        )  # fmt: skip
    update = updates.create_update(
        petition=petition, subject="Bench update", body="A *bench* update.\n\n[Link](https://example.org/)."
    )
    update.subject_ko, update.body_ko = "벤치 소식", "*벤치* 소식입니다.\n\n[링크](https://example.org/)."
    update.save()
    started = time.monotonic()
    Petition.objects.filter(pk=petition.pk).exists()
    queued = updates.queue_deliveries(update=update)
    queue_seconds = time.monotonic() - started
    # Sending the whole list takes hours at UPDATE_SEND_RATE and most of an hour even without the
    # pause: the rate and the memory are read over the first `send_seconds` of the full queue.
    started = time.monotonic()
    sent, first_batch_peak = 0, None
    while time.monotonic() - started < send_seconds:
        counts = update_mail.deliver_update_batch(update_id=update.pk, limit=1000)
        sent += counts["sent"]
        if first_batch_peak is None:
            first_batch_peak = peak_mb()
        if counts["retry"] or not counts["sent"] + counts["failed"]:
            break
    send_seconds = time.monotonic() - started
    left = UpdateDelivery.objects.filter(update=update).exclude(state="sent").count()
    print(json.dumps({
        "recipients": count, "queued": queued, "queue_seconds": round(queue_seconds, 2),
        "queued_per_s": round(queued / queue_seconds), "sent": sent, "not_sent": left,
        "send_seconds": round(send_seconds, 1), "sent_per_s": round(sent / send_seconds),
        "peak_mb_after_first_batch": round(first_batch_peak or 0, 1), "peak_mb_at_end": round(peak_mb(), 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 60.0)
