"""Avis de non-remise : Bob n’a pas de collègue « inconnu », Alice en est prévenue par e-mail."""

import email
import imaplib
import smtplib
import ssl
from email.message import EmailMessage

from labo import appareil

contexte = ssl.create_default_context()

# 1. L'ordinateur d'Alice surveille sa propre boîte : l'avis lui arrivera par courrier.
with appareil("ordinateur d’Alice"):
    imap = imaplib.IMAP4_SSL("imap.example.com", ssl_context=contexte)
imap.login("alice@example.com", "alice-secret")
imap.select("INBOX")
etiquette = imap._new_tag()  # imaplib n'a pas de méthode idle() avant Python 3.14
imap.send(etiquette + b" IDLE\r\n")
assert imap.readline().startswith(b"+")

message = EmailMessage()
message["From"] = "Alice Martin <alice@example.com>"
message["To"] = "inconnu@example.org"
message["Subject"] = "Réunion de lundi"
message["Date"] = "Mon, 02 Mar 2026 08:59:00 +0000"
message["Message-ID"] = "<reunion@example.com>"
message.set_content("Bonjour,\n\nLa réunion est maintenue.\n\nAlice\n")

# 2. Le MSA d'example.com ne connaît pas les boîtes d'example.org : il accepte le message
#    (« 250 … queued »). C'est le MX d'example.org qui refusera le destinataire (550 5.1.1).
with appareil("ordinateur d’Alice"):
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=contexte)
        smtp.login("alice@example.com", "alice-secret")
        refus = smtp.send_message(message)
assert refus == {}  # aucun destinataire refusé à la soumission

# 3. Le MTA d'example.com dépose alors un avis de non-remise dans la boîte d'Alice.
assert imap.readline().strip() == b"* 1 EXISTS"
assert imap.readline().strip() == b"* 1 RECENT"
imap.send(b"DONE\r\n")
while not imap.readline().startswith(etiquette):
    pass
_, reponse = imap.fetch("1", "(BODY.PEEK[])")
imap.logout()

# 4. L'avis est un rapport lisible par un programme (RFC 3464) : un texte pour l'humain,
#    un état de remise par destinataire, et l'en-tête du message d'origine.
avis = email.message_from_bytes(reponse[0][1])
assert avis.get_content_type() == "multipart/report"
assert avis.get_param("report-type") == "delivery-status"
assert avis["Return-Path"] == "<>"  # un avis n'appelle jamais d'avis en retour (MAIL FROM:<>)
texte, etat, origine = avis.get_payload()
assert etat.get_content_type() == "message/delivery-status"
champs = etat.get_payload()[1]  # le premier bloc décrit le message, le suivant le destinataire
assert champs["Final-Recipient"] == "rfc822; inconnu@example.org"
assert champs["Action"] == "failed"
assert champs["Status"] == "5.1.1"
