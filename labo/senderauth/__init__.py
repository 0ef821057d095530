"""Sender authentication as providers do it: DKIM signing, SPF/DKIM/DMARC checks, RFC 8601.

The example.com MSA signs what it sends (``sign``); the example.org MX checks what it receives
(``check``) and records the verdict in an ``Authentication-Results`` field. DNS is always
injected (``TxtLookup``): nothing here has a resolver of its own.
"""
