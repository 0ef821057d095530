"""TLS for the lab: a throwaway CA and one certificate valid for every lab host name.

ECDSA keys, because an RSA key costs about 80 ms to generate and the lab must start in
milliseconds. Client contexts trust only the lab CA (loading the system store costs ~28 ms).
"""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme

from labo.identity import HOSTNAMES


class LabTLS:
    """The lab's certificate authority and the contexts built from it."""

    def __init__(self, directory: Path) -> None:
        self.ca = trustme.CA(organization_name="Labo La messagerie", key_type=trustme.KeyType.ECDSA)
        self.cert = self.ca.issue_cert(*HOSTNAMES, "localhost", "127.0.0.1", "::1")
        self.ca_file = directory / "labo-ca.pem"
        self.ca.cert_pem.write_to_path(self.ca_file)
        self._server = self._make_server_context()

    def _make_server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # RFC 8996, RFC 8997
        self.cert.configure_cert(context)
        return context

    def server_context(self) -> ssl.SSLContext:
        """The context every lab server (and the proxy's client-facing side) presents."""
        return self._server

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts the lab CA and nothing else."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ca.configure_trust(context)
        return context
