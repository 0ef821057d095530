"""Alice écrit à Bob : le message part sur le port 587, Bob l’attend en IMAP sur le port 993."""

import email
import imaplib
import smtplib
import ssl
from email.message import EmailMessage

from labo import appareil

# Un contexte TLS ordinaire : il vérifie le certificat et le nom du serveur.
contexte = ssl.create_default_context()

# 1. Le téléphone de Bob est déjà connecté à sa boîte (TLS implicite, port 993) et attend :
#    IDLE demande au serveur de le prévenir dès qu'un message arrive.
with appareil("téléphone de Bob"):
    telephone = imaplib.IMAP4_SSL("imap.example.org", ssl_context=contexte)
telephone.login("bob@example.org", "bob-secret")
telephone.select("INBOX")
etiquette = telephone._new_tag()  # imaplib n'a pas de méthode idle() avant Python 3.14
telephone.send(etiquette + b" IDLE\r\n")
assert telephone.readline().startswith(b"+")

message = EmailMessage()
message["From"] = "Alice Martin <alice@example.com>"
message["To"] = "Bob Durand <bob@example.org>"
message["Subject"] = "Rendez-vous demain"
message["Date"] = "Mon, 02 Mar 2026 08:59:00 +0000"
message["Message-ID"] = "<rendez-vous@example.com>"
message.set_content("Bonjour Bob,\n\nOn se retrouve demain à 10 h ?\n\nAlice\n")

# 2. Le MUA d'Alice remet le message au MSA de son fournisseur (soumission, port 587).
#    Le MSA répond « 250 … queued » dès que le message est en file d'attente : le relais
#    vers le MX d'example.org (recherche DNS, puis port 25) a lieu après la déconnexion.
with appareil("ordinateur d’Alice"):
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=contexte)  # chiffrer avant de donner le mot de passe
        smtp.login("alice@example.com", "alice-secret")
        smtp.send_message(message)

# 3. Le téléphone de Bob, toujours en attente, apprend l’arrivée du message, puis en demande
#    les en-têtes seulement (BODY.PEEK[HEADER]), sans le corps.
assert telephone.readline().strip() == b"* 1 EXISTS"
assert telephone.readline().strip() == b"* 1 RECENT"
telephone.send(b"DONE\r\n")  # fin de l'attente
while not telephone.readline().startswith(etiquette):
    pass
_, reponse = telephone.fetch("1", "(BODY.PEEK[HEADER])")
telephone.logout()

# 4. Les en-têtes ajoutés en chemin racontent le trajet du message.
recu = email.message_from_bytes(reponse[0][1])
assert recu["Return-Path"] == "<alice@example.com>"  # l'adresse de retour (MAIL FROM)
assert recu["Delivered-To"] == "bob@example.org"  # la boîte où le MDA l'a déposé
etapes = recu.get_all("Received")  # un tampon par serveur, le plus récent en haut
assert len(etapes) == 3
assert "by imap.example.org with LMTP" in etapes[0]  # remis par le MTA au MDA (LMTP)
assert "by mx.example.org" in etapes[1] and "with ESMTPS" in etapes[1]  # reçu d'un MTA, chiffré
assert "by smtp.example.com" in etapes[2] and "with ESMTPSA" in etapes[2]  # chiffré, authentifié
# Le MX d'example.org a vérifié l'expéditeur : signature DKIM, SPF et politique DMARC.
assert "d=example.com;" in recu["DKIM-Signature"]
resultats = recu["Authentication-Results"]
assert resultats.startswith("mx.example.org;")
for verification in ("dkim=pass", "spf=pass", "dmarc=pass"):
    assert verification in resultats
assert recu["Subject"] == "Rendez-vous demain"
