"""Format d’un message : Alice envoie un plan en pièce jointe, Bob en lit la structure."""

import base64
import email
import email.policy
import imaplib
import smtplib
import ssl
from email.message import EmailMessage

from labo import appareil

contexte = ssl.create_default_context()

# 1. Le téléphone de Bob attend déjà les nouveaux messages (IDLE), comme sur la page du trajet.
with appareil("téléphone de Bob"):
    telephone = imaplib.IMAP4_SSL("imap.example.org", ssl_context=contexte)
telephone.login("bob@example.org", "bob-secret")
telephone.select("INBOX")
etiquette = telephone._new_tag()  # imaplib n'a pas de méthode idle() avant Python 3.14
telephone.send(etiquette + b" IDLE\r\n")
assert telephone.readline().startswith(b"+")

# 2. Le logiciel d'Alice compose le message : un sujet accentué, un texte, une image jointe.
#    Une image PNG de 1 pixel sur 1 : 67 octets qui ne sont pas du texte.
plan = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4"
    "890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)
message = EmailMessage()
message["From"] = "Alice Martin <alice@example.com>"
message["To"] = "Bob Durand <bob@example.org>"
message["Subject"] = "Plan d’accès"
message["Date"] = "Mon, 02 Mar 2026 08:59:00 +0000"
message["Message-ID"] = "<plan-acces@example.com>"
# Le texte en quoted-printable : l'ASCII reste lisible, chaque octet accentué devient =XX.
message.set_content(
    "Bonjour Bob,\n\nVoici le plan d’accès à la salle de réunion.\n\nAlice\n",
    cte="quoted-printable",
)
# La pièce jointe fait du message un multipart/mixed ; l'image voyage en base64.
message.add_attachment(plan, maintype="image", subtype="png", filename="plan.png")
message.set_boundary("=====limite-entre-les-parties=====")  # d'habitude tirée au hasard

# 3. Soumission sur le port 587, comme d'habitude : STARTTLS, puis AUTH.
with appareil("ordinateur d’Alice"):
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=contexte)
        smtp.login("alice@example.com", "alice-secret")
        assert smtp.send_message(message) == {}

# 4. Le téléphone de Bob apprend l'arrivée du message.
assert telephone.readline().strip() == b"* 1 EXISTS"
assert telephone.readline().strip() == b"* 1 RECENT"
telephone.send(b"DONE\r\n")
while not telephone.readline().startswith(etiquette):
    pass

# 5. Avant de télécharger quoi que ce soit, il demande la structure du message : ses parties,
#    leur type, leur encodage et leur taille (BODYSTRUCTURE).
_, reponse = telephone.fetch("1", "(BODYSTRUCTURE)")
structure = reponse[0].decode()
assert '("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable"' in structure
assert '("image" "png" NIL NIL NIL "base64"' in structure
assert '"mixed" ("boundary" "=====limite-entre-les-parties=====")' in structure

# 6. Puis il ne télécharge que la partie 2, la pièce jointe, sans marquer le message comme lu.
_, reponse = telephone.fetch("1", "(BODY.PEEK[2])")
assert base64.b64decode(reponse[0][1]) == plan

# 7. Le sujet est arrivé sous forme de « mot encodé » (RFC 2047) ; le logiciel de Bob le
#    décode pour l'afficher.
_, reponse = telephone.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
telephone.logout()
assert reponse[0][1].startswith(b"Subject: Plan =?utf-8?q?d=E2=80=99acc=C3=A8s?=")
sujet = email.message_from_bytes(reponse[0][1], policy=email.policy.default)["Subject"]
assert sujet == "Plan d’accès"
