"""IMAP sur le port 143 : LOGINDISABLED tant que la session n’est pas chiffrée par STARTTLS."""

import imaplib
import ssl

from labo import appareil

contexte = ssl.create_default_context()

with appareil("ordinateur de Bob"):
    imap = imaplib.IMAP4("imap.example.org", 143)

# En clair, le serveur annonce qu'il refusera LOGIN (RFC 9051 §6.2.3).
assert "LOGINDISABLED" in imap.capabilities and "STARTTLS" in imap.capabilities

imap.starttls(ssl_context=contexte)
assert "LOGINDISABLED" not in imap.capabilities  # la session est chiffrée
imap.login("bob@example.org", "bob-secret")
imap.select("INBOX")
imap.logout()
