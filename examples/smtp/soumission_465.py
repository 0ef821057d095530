"""Soumission sur le port 465 : la session est chiffrée dès le premier octet (TLS implicite)."""

import smtplib
import ssl
from email.message import EmailMessage

from labo import appareil

contexte = ssl.create_default_context()

with (
    appareil("téléphone d’Alice"),
    smtplib.SMTP_SSL(
        "smtp.example.com", 465, local_hostname="telephone.example.com", context=contexte
    ) as smtp,
):
    smtp.ehlo()
    # Pas de STARTTLS ici : il n'y a rien à « mettre à niveau », tout est déjà chiffré.
    assert smtp.has_extn("auth") and not smtp.has_extn("starttls")
    smtp.login("alice@example.com", "alice-secret")
    message = EmailMessage()
    message["From"] = "alice@example.com"
    message["To"] = "bob@example.org"
    message["Subject"] = "Depuis mon téléphone"
    message["Date"] = "Mon, 02 Mar 2026 08:59:00 +0000"
    message["Message-ID"] = "<essai-465@example.com>"
    message.set_content("Envoyé sur le port 465.\n")
    smtp.send_message(message)
