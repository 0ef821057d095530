"""Dossier « Envoyés » : la copie garde la ligne Bcc que le message envoyé n’a plus."""

import email
import email.utils
import imaplib
import smtplib
import ssl
from email.message import EmailMessage

from labo import appareil, attendre_file

contexte = ssl.create_default_context()

message = EmailMessage()
message["From"] = "Alice Martin <alice@example.com>"
message["To"] = "Bob Durand <bob@example.org>"
message["Bcc"] = "alice@example.com"  # Alice se met en copie cachée
message["Subject"] = "Devis"
message["Date"] = "Mon, 02 Mar 2026 08:59:00 +0000"
message["Message-ID"] = "<devis@example.com>"
message.set_content("Bonjour Bob,\n\nVoici le devis.\n\nAlice\n")

# 1. smtplib retire la ligne Bcc du message et ajoute l'adresse à l'enveloppe (RCPT TO).
with appareil("ordinateur d’Alice"):
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=contexte)
        smtp.login("alice@example.com", "alice-secret")
        assert smtp.send_message(message) == {}

attendre_file()

with appareil("ordinateur d’Alice"):
    imap = imaplib.IMAP4_SSL("imap.example.com", ssl_context=contexte)
imap.login("alice@example.com", "alice-secret")

# 2. Le logiciel range sa copie dans Envoyés, telle qu'Alice l'a écrite : avec la ligne Bcc.
date = imaplib.Time2Internaldate(email.utils.parsedate_to_datetime(message["Date"]))
typ, _ = imap.append("Sent", r"(\Seen)", date, message.as_bytes())
assert typ == "OK"

# 3. La copie cachée arrivée dans la boîte de réception n'a pas de ligne Bcc ; celle des
#    Envoyés l'a gardée.
imap.select("INBOX", readonly=True)
_, recu = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (TO BCC SUBJECT)])")
imap.select("Sent", readonly=True)
_, copie = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (TO BCC SUBJECT)])")
imap.logout()
assert email.message_from_bytes(recu[0][1])["Bcc"] is None
assert email.message_from_bytes(copie[0][1])["Bcc"] == "alice@example.com"
