"""Updates to supporters: queue one update to 100,000 opted-in signers, send for a minute to a mail sink.

The sink is a minimal SMTP server (standard library, a thread of this process) that accepts every
message and counts it; the sender is ``update_sender.py`` in the site's environment, the same code
path as the task (``queue_deliveries``, then ``deliver_update_batch`` a thousand at a time), without
the ``UPDATE_SEND_RATE`` pause between batches, so the figures are the machine's own ceiling.
"""

import json
import socket
import socketserver
import threading

from ops import HOST, PYTHON
from ops.processes import free_port, run

RECIPIENTS = 100_000
SEND_SECONDS = 60  # the sending is measured over this long, on the full queue of RECIPIENTS
QUEUE_GOAL = 5_000  # recipients queued per second
SEND_GOAL = 100  # emails rendered and handed to SMTP per second: ten times UPDATE_SEND_RATE's default
FLAT_MB = 20  # peak memory may grow at most this much between a tenth and the end


class SmtpSink(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(f"{text}\r\n".encode())

    def handle(self):
        # Without it each small reply waits for the client's delayed ACK (40 ms an email).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reply("220 sink ready")
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.reply("250 sink")
            elif command == b"DATA":
                self.reply("354 go on")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                self.server.messages += 1
                self.reply("250 queued")
            elif command == b"QUIT":
                self.reply("221 bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.reply("250 ok")


class Sink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    messages = 0


def updates(b, recipients=RECIPIENTS, send_seconds=SEND_SECONDS):
    name = "7. update to opted-in signers"
    port = free_port(8825)
    sink = Sink((HOST, port), SmtpSink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        env = {**b.env, "EMAIL_URL": f"smtp://{HOST}:{port}"}
        output = run(
            [PYTHON, "scripts/bench_scenarios/update_sender.py", str(recipients), str(send_seconds)],
            env=env,
            timeout=1800,
        )
        figures = json.loads(output.stdout.strip().splitlines()[-1])
    except Exception as error:  # the table says why; the run goes on
        b.na(name, f"{type(error).__name__}: {error}"[:120])
        return
    finally:
        sink.shutdown()
    b.results["measurements"]["updates"] = {**figures, "sink_messages": sink.messages}
    b.row(f"{name}: queued", f"{figures['queued']:,} in {figures['queue_seconds']} s "
          f"({figures['queued_per_s']:,}/s)", f">= {QUEUE_GOAL:,}/s", figures["queued_per_s"] >= QUEUE_GOAL)  # fmt: skip
    b.row(f"{name}: sent to SMTP", f"{figures['sent']:,} in {figures['send_seconds']} s "
          f"({figures['sent_per_s']:,}/s; sink got {sink.messages:,})", f">= {SEND_GOAL}/s, all once",
          figures["sent_per_s"] >= SEND_GOAL and sink.messages == figures["sent"])  # fmt: skip
    growth = figures["peak_mb_at_end"] - figures["peak_mb_after_first_batch"]
    b.row(f"{name}: sender peak memory", f"{figures['peak_mb_after_first_batch']} MB after 1,000, "
          f"{figures['peak_mb_at_end']} MB at the end", f"grows < {FLAT_MB} MB", growth < FLAT_MB)  # fmt: skip
