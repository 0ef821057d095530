"""SPF, DKIM, DMARC : le MX d’example.org vérifie qu’Alice est bien l’expéditrice."""

import email
import imaplib
import smtplib
import ssl
from email.message import EmailMessage

from labo import appareil

contexte = ssl.create_default_context()

# 1. Le téléphone de Bob attend dans sa boîte (IDLE) : il saura quand le message arrive.
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
message["Subject"] = "Nouveau RIB"
message["Date"] = "Mon, 02 Mar 2026 08:59:00 +0000"
message["Message-ID"] = "<rib@example.com>"
message.set_content("Bonjour Bob,\n\nVoici mon nouveau RIB, c'est bien moi.\n\nAlice\n")

# 2. Alice soumet son message. Le MSA d'example.com le signe (DKIM-Signature:), puis le MTA
#    le relaie depuis 192.0.2.10, la seule adresse que le SPF d'example.com autorise.
with appareil("ordinateur d’Alice"):
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=contexte)
        smtp.login("alice@example.com", "alice-secret")
        smtp.send_message(message)

# 3. Le message arrive ; le téléphone ne demande que les en-têtes qui parlent de l'expéditeur.
assert telephone.readline().strip() == b"* 1 EXISTS"
assert telephone.readline().strip() == b"* 1 RECENT"
telephone.send(b"DONE\r\n")
while not telephone.readline().startswith(etiquette):
    pass
_, reponse = telephone.fetch(
    "1", "(BODY.PEEK[HEADER.FIELDS (AUTHENTICATION-RESULTS DKIM-SIGNATURE FROM)])"
)
telephone.logout()

# 4. Le MX a noté ses trois vérifications dans Authentication-Results: (RFC 8601).
recu = email.message_from_bytes(reponse[0][1])
resultats = " ".join(recu["Authentication-Results"].split())
assert resultats.startswith("mx.example.org;")  # qui a vérifié : le MX du destinataire
assert "dkim=pass header.d=example.com header.s=labo2026" in resultats  # signature valide
assert "spf=pass" in resultats and "smtp.mailfrom=example.com" in resultats  # bonne adresse
assert "dmarc=pass" in resultats and "header.from=example.com" in resultats  # alignés sur From:
