"""The port cheat-sheet: one data file, the table on the page and the lab's services agree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from site_build import REPO, built_page
from site_html import read_page

from labo.identity import SERVICES

PORTS_FILE = REPO / "data" / "ports.yml"
TLS_MODES = frozenset({"none", "starttls", "implicit", "https"})
HEADER = [
    "Port",
    "Service",
    "Nom IANA",
    "Sécurité du transport",
    "Rôle",
    "Références",
    "Démonstration",
]
NO_EXAMPLE = "pas d’exemple exécuté (pourquoi)"

#: The ports a reader must find on the cheat-sheet: the seven mail services and HTTPS.
MAIL_PORTS = (25, 465, 587, 110, 995, 143, 993)
EXPECTED_PORTS = (*MAIL_PORTS, 443)


@pytest.fixture(scope="module")
def ports() -> list[dict[str, Any]]:
    with PORTS_FILE.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


@pytest.fixture(scope="module")
def table(site: Path) -> list[list[str]]:
    """The rows (header excluded) of the one table on the ports page that has the port header."""
    tables = [
        rows for rows in read_page(built_page(site, "ports.md")).tables if rows[:1] == [HEADER]
    ]
    assert len(tables) == 1, "le tableau des ports est introuvable (ou en double) sur la page"
    return tables[0][1:]


def as_row(entry: dict[str, Any]) -> list[str]:
    """The cells the page must show for one entry of data/ports.yml."""
    return [
        str(entry["port"]),
        entry["service"],
        entry["iana"],
        entry["security"],
        entry["role"],
        ", ".join(entry["references"]),
        entry["example"].rsplit("/", 1)[-1] if entry["example"] else NO_EXAMPLE,
    ]


def test_ports_page_shows_exactly_the_rows_of_the_data_file(
    ports: list[dict[str, Any]], table: list[list[str]]
) -> None:
    assert table == [as_row(entry) for entry in ports]


@pytest.mark.parametrize("port", EXPECTED_PORTS)
def test_ports_page_lists_port(table: list[list[str]], port: int) -> None:
    assert str(port) in [row[0] for row in table]


def test_data_file_uses_only_known_tls_modes(ports: list[dict[str, Any]]) -> None:
    assert sorted({entry["tls"] for entry in ports} - TLS_MODES) == []


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_lab_service_matches_its_row_in_the_data_file(
    ports: list[dict[str, Any]], name: str
) -> None:
    rows = [entry for entry in ports if entry["iana"] == name]
    assert len(rows) == 1, f"{name} doit figurer une fois dans {PORTS_FILE.name}"
    service = SERVICES[name]
    assert (rows[0]["port"], rows[0]["tls"]) == (service.port, service.tls)


def test_every_mail_row_of_the_data_file_is_a_lab_service(ports: list[dict[str, Any]]) -> None:
    mail_services = {entry["iana"] for entry in ports if entry["tls"] != "https"}
    assert sorted(mail_services ^ set(SERVICES)) == []


@pytest.mark.parametrize("port", MAIL_PORTS)
def test_the_example_of_a_port_really_connects_to_that_port(
    ports: list[dict[str, Any]], port: int
) -> None:
    [entry] = [e for e in ports if e["port"] == port]
    approved = REPO / entry["example"].replace(".py", ".transcription.txt")
    openings = [line for line in approved.read_text().splitlines() if "** ouverture" in line]
    assert any(f":{port} ({entry['iana']})" in line for line in openings)


@pytest.mark.parametrize("port", MAIL_PORTS)
def test_the_link_of_a_port_leads_to_its_example_on_a_page(
    site: Path, ports: list[dict[str, Any]], port: int
) -> None:
    [entry] = [e for e in ports if e["port"] == port]
    html = built_page(site, "ports.md").read_text(encoding="utf-8")
    anchor = "exemple-" + entry["example"].removeprefix("examples/").removesuffix(".py")
    anchor = anchor.replace("/", "-").replace("_", "-")
    links = re.findall(rf'href="\.\./(\w+)/#{re.escape(anchor)}"', html)
    assert links, f"aucun lien vers #{anchor} sur la page des ports"
    target = built_page(site, f"{links[0]}.md").read_text(encoding="utf-8")
    assert f'id="{anchor}"' in target
