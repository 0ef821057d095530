"""The lab's DNS: its zone, an authoritative server on the lab loop, and a resolver for lab code.

``start_dns`` serves ``build_zone()`` and records each lookup in the transcript;
``LabResolver`` (the MTA's MX lookup) and ``configure_default_resolver`` (examples) ask it.
"""

from labo.dns.resolver import (
    DnsError,
    DnsUnavailable,
    DomainNotFound,
    LabResolver,
    configure_default_resolver,
    forget_default_resolver,
)
from labo.dns.server import RESOLVER_NAME, DnsServer, start_dns
from labo.dns.zone import TTL, LabZone, build_zone

__all__ = [
    "RESOLVER_NAME",
    "TTL",
    "DnsError",
    "DnsServer",
    "DnsUnavailable",
    "DomainNotFound",
    "LabResolver",
    "LabZone",
    "build_zone",
    "configure_default_resolver",
    "forget_default_resolver",
    "start_dns",
]
