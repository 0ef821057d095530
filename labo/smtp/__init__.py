"""The lab's SMTP server (aiosmtpd): MX on "smtp" (25), MSA on "submission" (587) and
"submissions" (465), delivering into the Maildirs of ``labo.store``.

``start(ctx, service)`` is the entry point ``labo.services`` calls for each SMTP service.
"""

from labo.smtp.server import MAX_MESSAGE_SIZE, SMTPBackend, start

__all__ = ["MAX_MESSAGE_SIZE", "SMTPBackend", "start"]
