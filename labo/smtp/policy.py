"""Which part a lab SMTP service plays: the MX of port 25 or the submission agent of 587/465.

One object answers every "is this allowed here?" question, so the SMTP session (what EHLO offers,
whether AUTH exists) and the handler (who may send, who may receive) cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from labo.identity import Service

#: The MTA role (RFC 5321): mail from other servers for the lab's own domains, no AUTH.
_RELAY_SERVICES = frozenset({"smtp"})
#: The MSA role (RFC 6409, RFC 8314): authenticated users submitting their own mail.
_SUBMISSION_SERVICES = frozenset({"submission", "submissions"})


@dataclass(frozen=True)
class Policy:
    """What one SMTP listener allows."""

    service: Service
    submission: bool

    @property
    def implicit_tls(self) -> bool:
        """TLS from the first byte (RFC 8314 §3.3): nothing to upgrade, STARTTLS not offered."""
        return self.service.tls == "implicit"

    @property
    def offers_auth(self) -> bool:
        """Only the MSA knows users' passwords; an MX has no reason to ask for them."""
        return self.submission

    @property
    def requires_auth(self) -> bool:
        """RFC 6409 §4.3: a submission server accepts mail only from authenticated users."""
        return self.submission

    @property
    def offers_starttls(self) -> bool:
        return not self.implicit_tls

    @property
    def requires_starttls(self) -> bool:
        """Port 587 answers only EHLO, STARTTLS, NOOP and QUIT before TLS, like a careful MSA
        (Postfix ``smtpd_tls_security_level=encrypt``): no password or message in clear.
        Port 25 never insists (RFC 3207 §4: a publicly referenced server must not)."""
        return self.submission and not self.implicit_tls


def policy_for(service: Service) -> Policy:
    """The policy of a lab SMTP service; refuses a service this package does not serve."""
    if service.name in _RELAY_SERVICES:
        return Policy(service, submission=False)
    if service.name in _SUBMISSION_SERVICES:
        return Policy(service, submission=True)
    raise ValueError(f"« {service.name} » n'est pas un service SMTP du labo")
