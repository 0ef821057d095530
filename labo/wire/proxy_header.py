"""The PROXY protocol header that tells a lab server who its client is on the lab's Internet.

Behind the recording proxy every peer is 127.0.0.1. A real server sees its client's address:
the MX checks SPF against it and writes it in ``Received:``; pymap would treat 127.0.0.1 as
already secure and offer LOGIN before STARTTLS. So the proxy opens each backend connection with
a PROXY v1 header naming the client's and the server's documentation addresses (RFC 5737): data
in a header only, nothing ever connects to them.
"""

from __future__ import annotations


def proxy_header(client_address: str, client_port: int, server_address: str, port: int) -> bytes:
    """The PROXY v1 line for ``client_address:client_port`` reaching ``server_address:port``."""
    family = "TCP6" if ":" in client_address else "TCP4"
    return (f"PROXY {family} {client_address} {server_address} {client_port} {port}\r\n").encode(
        "ascii"
    )
