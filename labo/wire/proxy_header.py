"""The PROXY protocol header that presents a recorded client to its server as a remote peer.

pymap treats a 127.0.0.1 peer as already secure: it would offer LOGIN before STARTTLS and show a
dialogue no real client ever sees. Behind the proxy every peer is 127.0.0.1, so the proxy opens
each backend connection with a PROXY v1 header naming documentation addresses instead.
"""

from __future__ import annotations

#: TEST-NET-1 addresses (RFC 5737): data in a header only, nothing ever connects to them.
CLIENT_ADDRESS = "192.0.2.10"
SERVER_ADDRESS = "192.0.2.1"


def proxy_header(client_port: int, service_port: int) -> bytes:
    """The PROXY v1 line for a client on ``client_port`` reaching the standard ``service_port``."""
    return (
        f"PROXY TCP4 {CLIENT_ADDRESS} {SERVER_ADDRESS} {client_port} {service_port}\r\n"
    ).encode("ascii")
