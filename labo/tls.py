"""TLS for the lab: a throwaway CA and, per provider, one certificate for that provider's names.

ECDSA keys, because an RSA key costs about 80 ms to generate and the lab must start in
milliseconds. Client contexts trust only the lab CA (loading the system store costs ~28 ms).
"""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme

from labo.identity import PROVIDERS, Provider


class LabTLS:
    """The lab's certificate authority and the contexts built from it.

    Each provider presents a certificate for its own host names only, as on the Internet: a
    client that asks ``imap.example.org`` for ``smtp.example.com`` gets a name mismatch.
    """

    def __init__(self, directory: Path) -> None:
        self.ca = trustme.CA(organization_name="Labo La messagerie", key_type=trustme.KeyType.ECDSA)
        self.ca_file = directory / "labo-ca.pem"
        self.ca.cert_pem.write_to_path(self.ca_file)
        self._servers = {
            domain: self._make_server_context(provider) for domain, provider in PROVIDERS.items()
        }

    def _make_server_context(self, provider: Provider) -> ssl.SSLContext:
        # Loopback names too: a real client of ``labo serve`` or a test may connect by address.
        cert = self.ca.issue_cert(
            *provider.hostnames, "localhost", "127.0.0.1", "::1", key_type=trustme.KeyType.ECDSA
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 8996, RFC 8997
        cert.configure_cert(context)
        return context

    def server_context(self, domain: str) -> ssl.SSLContext:
        """The context the servers of provider ``domain`` (and the proxy in front) present."""
        return self._servers[domain]

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts the lab CA and nothing else."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ca.configure_trust(context)
        return context


class ProviderTLS:
    """What one provider's servers need of the lab's TLS: their own certificate, the lab CA."""

    def __init__(self, lab_tls: LabTLS, provider: Provider) -> None:
        self._lab_tls = lab_tls
        self.provider = provider

    @property
    def ca_file(self) -> Path:
        return self._lab_tls.ca_file

    def server_context(self) -> ssl.SSLContext:
        return self._lab_tls.server_context(self.provider.domain)

    def client_context(self) -> ssl.SSLContext:
        return self._lab_tls.client_context()
