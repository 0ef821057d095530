"""The mail lab: real SMTP, POP3 and IMAP servers over one Maildir store, started in-process.

The site's examples run against it so that every conversation a page shows really happened.
"""

from labo.identity import DOMAINS, SERVER_NAME, SERVICES, USERS, Service, User

__all__ = ["DOMAINS", "SERVER_NAME", "SERVICES", "USERS", "Service", "User"]
