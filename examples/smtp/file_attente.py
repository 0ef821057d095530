"""File d’attente : le serveur de Dave est en panne, le message attend, puis revient à Alice."""

import email
import imaplib
import smtplib
import ssl
from email.message import EmailMessage

from labo import appareil, attendre_file, avancer_horloge, file_attente

contexte = ssl.create_default_context()

# 1. L'ordinateur d'Alice surveille sa boîte : si le message ne part pas, l'avis arrivera là.
with appareil("ordinateur d’Alice"):
    imap = imaplib.IMAP4_SSL("imap.example.com", ssl_context=contexte)
imap.login("alice@example.com", "alice-secret")
imap.select("INBOX")
etiquette = imap._new_tag()  # imaplib n'a pas de méthode idle() avant Python 3.14
imap.send(etiquette + b" IDLE\r\n")
assert imap.readline().startswith(b"+")

message = EmailMessage()
message["From"] = "Alice Martin <alice@example.com>"
message["To"] = "dave@example.net"
message["Subject"] = "Devis"
message["Date"] = "Mon, 02 Mar 2026 08:59:00 +0000"
message["Message-ID"] = "<devis@example.com>"
message.set_content("Bonjour Dave,\n\nPourriez-vous m'envoyer votre devis ?\n\nAlice\n")

# 2. La soumission réussit (« 250 … queued ») : le MSA ne contacte le MX d'example.net
#    qu'après, et celui-ci, mail.example.net, ne répond pas.
with appareil("ordinateur d’Alice"):
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=contexte)
        smtp.login("alice@example.com", "alice-secret")
        assert smtp.send_message(message) == {}

# 3. Une fois la première tentative faite, l'administrateur d'example.com regarde sa file
#    comme avec « postqueue -p » : le message y est, avec la raison du report.
attendre_file()
attente = file_attente("example.com")
assert "alice@example.com" in attente
assert "(connect to mail.example.net[203.0.113.25]:25: Connection refused)" in attente
assert "dave@example.net" in attente

# 4. Dix minutes plus tard, le MTA a réessayé (après 5 minutes) : toujours en panne, le
#    message reste en file.
avancer_horloge(minutes=10)
assert "dave@example.net" in file_attente("example.com")

# 5. Cinq jours plus tard, le MTA abandonne et prévient Alice par un avis de non-remise.
avancer_horloge(jours=5)
assert file_attente("example.com").strip() == "Mail queue is empty"
assert imap.readline().strip() == b"* 1 EXISTS"
assert imap.readline().strip() == b"* 1 RECENT"
imap.send(b"DONE\r\n")
while not imap.readline().startswith(etiquette):
    pass
_, reponse = imap.fetch("1", "(BODY.PEEK[])")
imap.logout()

# 6. Un échec temporaire devenu définitif : l'état 4.4.1 (pas de réponse de l'hôte) reste
#    celui de la dernière tentative.
avis = email.message_from_bytes(reponse[0][1])
assert avis.get_param("report-type") == "delivery-status"
champs = avis.get_payload()[1].get_payload()[1]
assert champs["Final-Recipient"] == "rfc822; dave@example.net"
assert champs["Action"] == "failed"
assert champs["Status"] == "4.4.1"
