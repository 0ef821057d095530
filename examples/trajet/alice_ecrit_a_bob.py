"""Alice écrit à Bob : le message part sur le port 587 et Bob le lit en IMAP sur le port 993."""

import email
import imaplib
import smtplib
import ssl
from email.message import EmailMessage

from labo import appareil

# Un contexte TLS ordinaire : il vérifie le certificat et le nom du serveur.
contexte = ssl.create_default_context()

message = EmailMessage()
message["From"] = "Alice Martin <alice@example.com>"
message["To"] = "Bob Durand <bob@example.org>"
message["Subject"] = "Rendez-vous demain"
message["Date"] = "Mon, 02 Mar 2026 08:59:00 +0000"
message["Message-ID"] = "<rendez-vous@example.com>"
message.set_content("Bonjour Bob,\n\nOn se retrouve demain à 10 h ?\n\nAlice\n")

# 1. Le MUA d'Alice remet le message au MSA de son fournisseur (soumission, port 587).
#    Le MTA d'example.com le relaie aussitôt au MX d'example.org (port 25).
with appareil("ordinateur d'Alice"):
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=contexte)  # chiffrer avant de donner le mot de passe
        smtp.login("alice@example.com", "alice-secret")
        smtp.send_message(message)

# 2. Plus tard, le MUA de Bob lit sa boîte en IMAP, sur TLS implicite (port 993).
with appareil("téléphone de Bob"):
    with imaplib.IMAP4_SSL("imap.example.org", ssl_context=contexte) as imap:
        imap.login("bob@example.org", "bob-secret")
        imap.select("INBOX", readonly=True)
        _, reponse = imap.fetch("1", "(BODY.PEEK[HEADER])")

# 3. Les en-têtes ajoutés en chemin racontent le trajet du message.
recu = email.message_from_bytes(reponse[0][1])
assert recu["Return-Path"] == "<alice@example.com>"  # l'adresse de retour (MAIL FROM)
assert recu["Delivered-To"] == "bob@example.org"  # la boîte où le MDA l'a déposé
etapes = recu.get_all("Received")  # un tampon par serveur, le plus récent en haut
assert len(etapes) == 2
assert "with ESMTPS" in etapes[0]  # le MX de example.org : reçu d'un MTA, chiffré
assert "with ESMTPSA" in etapes[1]  # le MSA de example.com : chiffré et authentifié
assert recu["Subject"] == "Rendez-vous demain"
