"""The mail lab: real SMTP, POP3 and IMAP servers over one Maildir store, started in-process.

The site's examples run against it so that every conversation a page shows really happened.
Examples import from here what they need to describe their scenario: ``appareil`` labels the
connections of one device, ``serveur_pop3_ancien`` turns on a legacy POP3 configuration.
"""

from labo.identity import DOMAINS, PROVIDERS, SERVICES, USERS, Provider, Service, User
from labo.scenario import (
    attendre_file,
    avancer_horloge,
    deposer,
    file_attente,
    serveur_pop3_ancien,
)
from labo.wire.labels import appareil

__all__ = [
    "DOMAINS",
    "PROVIDERS",
    "SERVICES",
    "USERS",
    "Provider",
    "Service",
    "User",
    "appareil",
    "attendre_file",
    "avancer_horloge",
    "deposer",
    "file_attente",
    "serveur_pop3_ancien",
]
