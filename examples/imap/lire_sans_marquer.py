"""IMAP : BODY.PEEK[] lit un message sans le marquer comme lu, BODY[] le marque."""

import imaplib
import ssl

from labo import appareil, deposer

contexte = ssl.create_default_context()
deposer("bob@example.org", sujet="Facture de mars")

with appareil("téléphone de Bob"):
    imap = imaplib.IMAP4_SSL("imap.example.org", ssl_context=contexte)
imap.login("bob@example.org", "bob-secret")
imap.select("INBOX")

imap.fetch("1", "(BODY.PEEK[])")  # un aperçu : le message reste « non lu »
_, drapeaux = imap.fetch("1", "(FLAGS)")
assert b"\\Seen" not in drapeaux[0]

imap.fetch("1", "(BODY[])")  # une vraie lecture : le serveur ajoute \Seen
_, drapeaux = imap.fetch("1", "(FLAGS)")
assert b"\\Seen" in drapeaux[0]

imap.logout()
