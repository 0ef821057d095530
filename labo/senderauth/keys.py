"""The DKIM keys of the lab's providers, fixed so that every signature is the same on each run.

The private keys in ``keys/`` are PUBLIC ON PURPOSE: they are committed with the project, sign
only mail the lab makes up, and their public halves are published only in the lab's own DNS zone.
A signature made with them proves nothing outside the lab. RSA PKCS#1 v1.5 signatures are
deterministic, so a fixed key and a fixed ``t=`` give byte-identical ``DKIM-Signature`` fields.
"""

from __future__ import annotations

import base64
from functools import cache
from importlib import resources

from cryptography.hazmat.primitives import serialization

from labo.identity import PROVIDERS, Provider


def provider_for_signing(domain: str) -> Provider:
    """The provider that signs for ``domain``; only the lab's providers hold a key."""
    provider = PROVIDERS.get(domain.lower().rstrip("."))
    if provider is None:
        raise ValueError(
            f"Aucune clé DKIM pour le domaine «\u00a0{domain}\u00a0»\u00a0: seuls "
            f"{' et '.join(PROVIDERS)} signent leurs messages."
        )
    return provider


@cache
def private_key_pem(domain: str) -> bytes:
    """The PEM (PKCS#1) private key of ``domain``, read from the package data."""
    provider = provider_for_signing(domain)
    return (resources.files(__package__) / "keys" / f"{provider.domain}.pem").read_bytes()


def dkim_record_name(provider: Provider) -> str:
    """Where the public key is published: ``labo2026._domainkey.example.com`` (RFC 6376 §3.6.2)."""
    return f"{provider.dkim_selector}._domainkey.{provider.domain}"


def dkim_record(domain: str) -> str:
    """The key record's text, ``v=DKIM1; k=rsa; p=…`` (SubjectPublicKeyInfo in base64)."""
    key = serialization.load_pem_private_key(private_key_pem(domain), password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode('ascii')}"


def dkim_txt_records() -> dict[str, str]:
    """Every provider's key record for the lab zone, by owner name.

    A record is longer than 255 bytes: the zone must split it into several character-strings
    of one TXT record (RFC 6376 §3.6.2.2), which resolvers concatenate.
    """
    return {dkim_record_name(p): dkim_record(p.domain) for p in PROVIDERS.values()}
