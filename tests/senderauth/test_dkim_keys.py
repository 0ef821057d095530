"""The providers' fixed DKIM keys and the records that publish them."""

from __future__ import annotations

import dkim
import pytest

from labo.identity import PROVIDERS
from labo.senderauth.keys import dkim_txt_records, private_key_pem


def test_each_provider_publishes_one_key_under_its_selector() -> None:
    expected = {f"{p.dkim_selector}._domainkey.{p.domain}" for p in PROVIDERS.values()}
    assert set(dkim_txt_records()) == expected


@pytest.mark.parametrize("name", sorted(dkim_txt_records()))
def test_each_published_key_is_a_2048_bit_rsa_key(name: str) -> None:
    _key, size, kind, _tlsrpt = dkim.evaluate_pk(name, dkim_txt_records()[name])
    assert (kind, size) == (b"rsa", 2048)


def test_each_record_starts_with_version_and_key_type() -> None:
    assert all(t.startswith("v=DKIM1; k=rsa; p=") for t in dkim_txt_records().values())


def test_a_domain_outside_the_providers_has_no_key() -> None:
    with pytest.raises(ValueError, match=r"example\.net"):
        private_key_pem("example.net")
