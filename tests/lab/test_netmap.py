"""Routing in-process clients to the lab, and refusing everything else before a packet leaves.

Plain loopback listeners stand in for the proxies. Refusals are only ever tested on names that
are never resolved and on loopback ports: nothing here reaches for another address.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labo import netmap
from labo.identity import PROVIDERS, SERVICES
from labo.tls import LabTLS
from labo.wire.labels import REGISTRY, ClientInfo, appareil

LAB_NAMES = sorted(host.name for p in PROVIDERS.values() for host in p.hosts.values())
SERVED = f"Noms servis\u00a0: {', '.join(LAB_NAMES)}\u00a0; ports\u00a0: 143, 587."


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback listener: a proxy when it is an endpoint, an outsider otherwise."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        yield sock


@pytest.fixture
def proxy(listener: socket.socket) -> int:
    return int(listener.getsockname()[1])


@pytest.fixture
def backend() -> Iterator[int]:
    """A listener standing for a lab server behind its proxy."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.fixture
def routed(proxy: int, backend: int) -> Iterator[None]:
    """Submission and IMAP both routed to ``proxy``; ``backend`` allowed as a server port."""
    endpoints = {
        (domain, service): ("127.0.0.1", proxy)
        for domain in PROVIDERS
        for service in ("submission", "imap")
    }
    with netmap.route_to(endpoints, allowed_ports={backend}):
        yield
    REGISTRY.clear()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pending_connection(sock: socket.socket) -> bool:
    try:
        accepted, _ = sock.accept()
    except BlockingIOError:
        return False
    accepted.close()
    return True


# -- names -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("routed")
def test_a_lab_name_resolves_to_the_proxy_of_its_service(proxy: int) -> None:
    infos = socket.getaddrinfo("smtp.example.com", 587, type=socket.SOCK_STREAM)
    assert [info[4] for info in infos] == [("127.0.0.1", proxy)]


def test_each_provider_s_names_resolve_to_its_own_proxy(proxy: int, backend: int) -> None:
    endpoints = {
        ("example.com", "submission"): ("127.0.0.1", proxy),
        ("example.org", "submission"): ("127.0.0.1", backend),
    }
    with netmap.route_to(endpoints):
        resolved = {
            name: socket.getaddrinfo(name, 587, type=socket.SOCK_STREAM)[0][4][1]
            for name in ("smtp.example.com", "198.51.100.10", "mx.example.org")
        }
    assert resolved == {
        "smtp.example.com": proxy,
        "198.51.100.10": backend,
        "mx.example.org": backend,
    }


def test_an_endpoint_for_a_service_the_lab_does_not_know_is_refused(proxy: int) -> None:
    with pytest.raises(
        ValueError, match=re.escape("services inconnus du labo\u00a0: example.net/smtp")
    ):
        netmap.install({("example.net", "smtp"): ("127.0.0.1", proxy)})
    assert not netmap.is_active()


@pytest.mark.usefixtures("routed")
def test_lab_names_match_whatever_their_case_and_final_dot(proxy: int) -> None:
    infos = socket.getaddrinfo("IMAP.Example.ORG.", "143", type=socket.SOCK_STREAM)
    assert [info[4] for info in infos] == [("127.0.0.1", proxy)]


@pytest.mark.usefixtures("routed")
def test_a_port_may_be_given_by_its_service_name(proxy: int) -> None:
    infos = socket.getaddrinfo("smtp.example.com", "submission", type=socket.SOCK_STREAM)
    assert [info[4] for info in infos] == [("127.0.0.1", proxy)]


@pytest.mark.usefixtures("routed")
def test_the_outsiders_server_is_not_one_the_lab_serves() -> None:
    with pytest.raises(
        netmap.LabNameRefused, match=re.escape("mail.example.net:25 n'est pas un serveur")
    ):
        socket.getaddrinfo("mail.example.net", 25)


@pytest.mark.usefixtures("routed")
def test_an_unknown_name_is_refused_saying_what_the_lab_serves() -> None:
    with pytest.raises(netmap.LabNameRefused) as refusal:
        socket.getaddrinfo("smtp.gmail.test", 587)
    assert str(refusal.value) == (
        f"Connexion refusée par le labo\u00a0: smtp.gmail.test:587 n'est pas un serveur du labo. "
        f"{SERVED}"
    )


@pytest.mark.usefixtures("routed")
def test_a_lab_name_on_a_port_the_lab_does_not_serve_is_refused() -> None:
    with pytest.raises(netmap.LabNameRefused) as refusal:
        socket.getaddrinfo("smtp.example.com", 2525)
    assert str(refusal.value) == (
        "Connexion refusée par le labo\u00a0: smtp.example.com:2525 n'est pas un service du labo "
        f"(port non servi). {SERVED}"
    )


def test_an_unknown_name_never_reaches_the_resolver(
    monkeypatch: pytest.MonkeyPatch, proxy: int
) -> None:
    asked: list[Any] = []
    system = socket.getaddrinfo

    def spy(host: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        return system(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    with netmap.route_to({("example.com", "submission"): ("127.0.0.1", proxy)}):
        with pytest.raises(netmap.LabNameRefused):
            socket.getaddrinfo("smtp.gmail.test", 587)
        socket.getaddrinfo("smtp.example.com", 587)
    assert asked == ["127.0.0.1"]  # the lab name was answered with the proxy's address


@pytest.mark.usefixtures("routed")
def test_stdlib_clients_report_the_refusal_as_it_is() -> None:
    with pytest.raises(
        socket.gaierror, match=re.escape("smtp.gmail.test:587 n'est pas un serveur du labo")
    ):
        smtplib.SMTP("smtp.gmail.test", 587, local_hostname="client.example.com")


@pytest.mark.usefixtures("routed")
def test_a_lookup_that_bypasses_the_routing_is_refused() -> None:
    with pytest.raises(
        netmap.LabNameRefused, match=re.escape("smtp.gmail.test n'est pas un nom du labo")
    ):
        socket.gethostbyname("smtp.gmail.test")


@pytest.mark.usefixtures("routed")
def test_a_reverse_lookup_is_refused_so_getfqdn_keeps_the_bare_host_name() -> None:
    assert socket.getfqdn() == socket.gethostname()


# -- connections ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("routed")
def test_a_loopback_port_outside_the_lab_is_refused_before_connecting(
    listener: socket.socket,
) -> None:
    with socket.socket() as outsider:
        outsider.bind(("127.0.0.1", 0))
        outsider.listen()
        outsider.setblocking(False)
        port = outsider.getsockname()[1]
        with pytest.raises(netmap.LabAddressRefused) as refusal:
            socket.create_connection(("127.0.0.1", port))
        assert not pending_connection(outsider)
    assert str(refusal.value) == (
        f"Connexion refusée par le labo\u00a0: 127.0.0.1:{port} n'est pas un serveur du labo. "
        f"{SERVED}"
    )


@pytest.mark.usefixtures("routed")
def test_a_raw_socket_connecting_to_a_lab_name_reaches_the_proxy_labelled() -> None:
    with appareil("telnet"), socket.socket() as sock:
        sock.connect(("mx.example.org", 587))
        port = sock.getsockname()[1]
    assert REGISTRY.claim(port) == ClientInfo("telnet", "mx.example.org")


@pytest.mark.usefixtures("routed")
def test_a_raw_socket_connecting_to_an_unknown_name_is_refused_before_it_resolves() -> None:
    with socket.socket() as sock, pytest.raises(netmap.LabNameRefused) as refusal:
        sock.connect_ex(("smtp.gmail.test", 587))
    assert "smtp.gmail.test:587 n'est pas un serveur du labo" in str(refusal.value)


@pytest.mark.usefixtures("routed")
def test_a_datagram_to_an_address_outside_the_lab_is_refused(closed_port: int) -> None:
    refused = re.escape("Envoi refusé par le labo")
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(netmap.LabAddressRefused, match=refused),
    ):
        sock.sendto(b"?", ("127.0.0.1", closed_port))


@pytest.mark.usefixtures("routed")
def test_a_closed_loopback_port_is_refused_by_the_lab_not_by_the_system(closed_port: int) -> None:
    with pytest.raises(
        netmap.LabAddressRefused, match=re.escape(f"127.0.0.1:{closed_port} n'est pas")
    ):
        socket.create_connection(("127.0.0.1", closed_port))


@pytest.mark.usefixtures("routed")
def test_a_client_is_registered_under_its_port_with_its_label_and_the_name_it_asked(
    listener: socket.socket,
) -> None:
    with (
        appareil("le téléphone de Bob"),
        socket.create_connection(("smtp.example.org", 587)) as sock,
    ):
        port = sock.getsockname()[1]
    assert REGISTRY.claim(port) == ClientInfo("le téléphone de Bob", "smtp.example.org")


@pytest.mark.usefixtures("routed")
def test_the_proxy_sees_the_registered_port_as_its_peer(listener: socket.socket) -> None:
    with socket.create_connection(("imap.example.com", 143)) as sock:
        listener.setblocking(True)
        accepted, peer = listener.accept()
        accepted.close()
        assert (peer, REGISTRY.claim(peer[1])) == (
            sock.getsockname(),
            ClientInfo("client", "imap.example.com"),
        )


@pytest.mark.usefixtures("routed")
def test_a_socket_already_bound_is_registered_under_its_own_port(proxy: int) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.connect(("127.0.0.1", proxy))
    assert REGISTRY.claim(port) == ClientInfo("client", "127.0.0.1")


@pytest.mark.usefixtures("routed")
def test_each_lookup_names_one_connection_only(proxy: int) -> None:
    ports = []
    for address in (("smtp.example.com", 587), ("127.0.0.1", proxy)):
        with socket.create_connection(address) as sock:
            ports.append(sock.getsockname()[1])
    assert [REGISTRY.claim(port) for port in ports] == [
        ClientInfo("client", "smtp.example.com"),
        ClientInfo("client", "127.0.0.1"),
    ]


@pytest.mark.usefixtures("routed")
def test_a_server_behind_a_proxy_is_reachable_but_its_clients_are_not_labelled(
    backend: int,
) -> None:
    with socket.create_connection(("127.0.0.1", backend)) as sock:
        port = sock.getsockname()[1]
    assert REGISTRY.claim(port) is None


@pytest.mark.usefixtures("routed")
def test_unix_sockets_are_left_alone(tmp_path: Path) -> None:
    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as client:
        server.bind(path)
        server.listen()
        client.connect(path)


@pytest.mark.usefixtures("routed")
def test_an_asyncio_client_is_labelled_though_it_resolves_in_another_thread(
    listener: socket.socket,
) -> None:
    async def connect() -> int:
        with appareil("l'ordinateur d'Alice"):
            _, writer = await asyncio.open_connection("imap.example.com", 143)
        port = int(writer.get_extra_info("sockname")[1])
        writer.close()
        return port

    port = asyncio.run(connect())
    assert REGISTRY.claim(port) == ClientInfo("l'ordinateur d'Alice", "imap.example.com")


# -- TLS trust -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab_tls(tmp_path_factory: pytest.TempPathFactory) -> LabTLS:
    return LabTLS(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_listener(lab_tls: LabTLS) -> Iterator[int]:
    """A loopback TLS server presenting the lab certificate to one client."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()

        def serve() -> None:
            accepted, _ = sock.accept()
            server = lab_tls.server_context("example.com")
            with server.wrap_socket(accepted, server_side=True) as secured:
                secured.sendall(b"ready")

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        yield int(sock.getsockname()[1])
        thread.join(5)


def test_default_ssl_contexts_trust_the_lab_while_routing(
    lab_tls: LabTLS, tls_listener: int
) -> None:
    endpoints = {("example.com", "submissions"): ("127.0.0.1", tls_listener)}
    with netmap.route_to(endpoints, ca_file=lab_tls.ca_file):
        context = ssl.create_default_context()
        with (
            socket.create_connection(("smtp.example.com", 465)) as sock,
            context.wrap_socket(sock, server_hostname="smtp.example.com") as secured,
        ):
            assert secured.recv(5) == b"ready"
    REGISTRY.clear()


def test_ssl_cert_file_is_restored_after_routing(
    monkeypatch: pytest.MonkeyPatch, lab_tls: LabTLS, proxy: int
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/etc/ssl/mine.pem")
    with netmap.route_to(
        {("example.com", "submission"): ("127.0.0.1", proxy)}, ca_file=lab_tls.ca_file
    ):
        pass
    assert netmap.os.environ["SSL_CERT_FILE"] == "/etc/ssl/mine.pem"


def test_ssl_cert_file_is_removed_after_routing_when_it_was_unset(
    monkeypatch: pytest.MonkeyPatch, lab_tls: LabTLS, proxy: int
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with netmap.route_to(
        {("example.com", "submission"): ("127.0.0.1", proxy)}, ca_file=lab_tls.ca_file
    ):
        assert netmap.os.environ["SSL_CERT_FILE"] == str(lab_tls.ca_file)
    assert "SSL_CERT_FILE" not in netmap.os.environ


# -- activation ----------------------------------------------------------------------------------


def test_routing_is_off_after_uninstall(proxy: int, closed_port: int) -> None:
    system = (socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex)
    with netmap.route_to({("example.com", "submission"): ("127.0.0.1", proxy)}):
        assert socket.getaddrinfo is not system[0]
    assert (socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex) == system
    assert "connect" not in socket.socket.__dict__
    with pytest.raises(ConnectionRefusedError) as refusal:  # by the system this time
        socket.create_connection(("127.0.0.1", closed_port))
    assert not isinstance(refusal.value, netmap.LabConnectionRefused)


def test_routing_twice_at_once_is_refused(proxy: int) -> None:
    with netmap.route_to({("example.com", "submission"): ("127.0.0.1", proxy)}):
        with pytest.raises(RuntimeError, match="déjà actif"):
            netmap.install({("example.com", "submission"): ("127.0.0.1", proxy)})
        assert netmap.is_active()


def test_a_lab_listening_on_a_non_local_address_cannot_be_routed() -> None:
    with pytest.raises(ValueError, match="adresse locale"):
        # data only: nothing connects there
        netmap.install({("example.com", "smtp"): ("192.0.2.1", 25)})
    assert not netmap.is_active()


class FakeLab:
    """What ``routed_to`` reads from a running lab."""

    def __init__(self, proxy: int, backend: int, ca_file: Path) -> None:
        self._proxy, self._backend, self.ca_file = proxy, backend, ca_file

    def endpoints(self) -> dict[tuple[str, str], tuple[str, int]]:
        return {
            (domain, name): ("127.0.0.1", self._proxy) for domain in PROVIDERS for name in SERVICES
        }

    def backend_ports(self) -> set[int]:
        return {self._backend}


def test_routed_to_serves_every_service_of_the_lab_and_its_servers(
    proxy: int, backend: int, lab_tls: LabTLS
) -> None:
    with netmap.routed_to(FakeLab(proxy, backend, lab_tls.ca_file)):
        resolved = {
            socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)[0][4]
            for name in LAB_NAMES
            for port in (25, 587, 465, 110, 995, 143, 993)
        }
        socket.create_connection(("127.0.0.1", backend)).close()
    REGISTRY.clear()
    assert resolved == {("127.0.0.1", proxy)}
