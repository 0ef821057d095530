"""Dossier « Envoyés » : SMTP envoie, c’est le logiciel de messagerie qui garde la copie."""

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
message["Subject"] = "Compte rendu"
message["Date"] = "Mon, 02 Mar 2026 08:59:00 +0000"
message["Message-ID"] = "<compte-rendu@example.com>"
message.set_content("Bonjour Bob,\n\nVoici le compte rendu de la réunion.\n\nAlice\n")

# 1. L'envoi : SMTP transmet le message, sans en garder de copie pour Alice.
with appareil("ordinateur d’Alice"):
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=contexte)
        smtp.login("alice@example.com", "alice-secret")
        assert smtp.send_message(message) == {}

# On laisse le MTA relayer le message avant la suite : le relais et la session IMAP ne
# s'entremêlent pas dans la transcription.
attendre_file()

with appareil("ordinateur d’Alice"):
    imap = imaplib.IMAP4_SSL("imap.example.com", ssl_context=contexte)
imap.login("alice@example.com", "alice-secret")

# 2. Le dossier des messages envoyés se reconnaît à son attribut \Sent (RFC 6154 §2), pas à
#    son nom, qui peut être « Sent », « Envoyés » ou « Éléments envoyés » selon le serveur.
_, dossiers = imap.list()
envoyes = [ligne.rsplit(b" ", 1)[-1].decode() for ligne in dossiers if b"\\Sent" in ligne]
assert envoyes == ["Sent"]

# 3. Le logiciel y range une copie du message, déjà marquée comme lue (APPEND).
date = imaplib.Time2Internaldate(email.utils.parsedate_to_datetime(message["Date"]))
typ, reponse = imap.append("Sent", r"(\Seen)", date, message.as_bytes())
assert typ == "OK"

# 4. La copie est bien là, lue, et c'est le message envoyé.
imap.select("Sent")
_, reponse = imap.fetch("1", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID)])")
imap.logout()
assert b"\\Seen" in reponse[0][0]
copie = email.message_from_bytes(reponse[0][1])
assert copie["Message-ID"] == "<compte-rendu@example.com>"
assert copie["Subject"] == "Compte rendu"
