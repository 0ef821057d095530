"""IMAP IDLE : le téléphone attend, le serveur le prévient dès qu'un message arrive."""

import imaplib
import smtplib
import ssl
from email.message import EmailMessage

from labo import appareil

contexte = ssl.create_default_context()

with appareil("téléphone de Bob"):
    telephone = imaplib.IMAP4_SSL("imap.example.org", ssl_context=contexte)
telephone.login("bob@example.org", "bob-secret")
telephone.select("INBOX")

# imaplib n'a pas de méthode idle() avant Python 3.14 : on envoie la commande à la main.
etiquette = telephone._new_tag()
telephone.send(etiquette + b" IDLE\r\n")
assert telephone.readline().startswith(b"+")  # le serveur accepte d'attendre

# Pendant ce temps, Alice envoie un message à Bob.
with appareil("ordinateur d'Alice"):
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=contexte)
        smtp.login("alice@example.com", "alice-secret")
        message = EmailMessage()
        message["From"] = "alice@example.com"
        message["To"] = "bob@example.org"
        message["Subject"] = "Tu es là ?"
        message["Date"] = "Mon, 02 Mar 2026 08:59:00 +0000"
        message["Message-ID"] = "<idle@example.com>"
        message.set_content("Réponds-moi vite.\n")
        smtp.send_message(message)

# Le téléphone, toujours en attente, reçoit la nouvelle sans rien demander.
annonce = telephone.readline()
assert annonce.strip() == b"* 1 EXISTS"
telephone.send(b"DONE\r\n")  # fin de l'attente
while not telephone.readline().startswith(etiquette):
    pass
telephone.logout()
