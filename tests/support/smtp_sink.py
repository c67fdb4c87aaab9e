"""A real SMTP server for tests: every message received is written to a
directory as NNNN.eml (complete with envelope headers), atomically, so the
C++ side (tests/support/smtp_sink.h) can poll the directory.

Run: PYTHONPATH=tests/support /usr/bin/python3 -m aiosmtpd -n \
       -l 127.0.0.1:<port> -c smtp_sink.DirectorySink <directory>
"""
import itertools
import os


class DirectorySink:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)
        os.makedirs(directory, exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        # aiosmtpd passes CLASSARGS only to handlers that define from_cli.
        if len(args) != 1:
            parser.error("smtp_sink.DirectorySink takes one argument: the directory")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        content = envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "replace")
        head = "X-Envelope-From: {}\r\nX-Envelope-To: {}\r\n".format(
            envelope.mail_from, ", ".join(envelope.rcpt_tos)).encode()
        tmp = os.path.join(self.directory, ".{:04d}.tmp".format(n))
        with open(tmp, "wb") as f:
            f.write(head + content)
        os.rename(tmp, os.path.join(self.directory, "{:04d}.eml".format(n)))
        return "250 Message accepted for delivery"
