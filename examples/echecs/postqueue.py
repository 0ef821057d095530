"""File d’attente : ce que voit l’administrateur d’example.com avec « postqueue -p »."""

import smtplib
import ssl
from email.message import EmailMessage

from labo import appareil, attendre_file, avancer_horloge, file_attente

contexte = ssl.create_default_context()

message = EmailMessage()
message["From"] = "Alice Martin <alice@example.com>"
message["To"] = "dave@example.net"
message["Subject"] = "Devis"
message["Date"] = "Mon, 02 Mar 2026 08:59:00 +0000"
message["Message-ID"] = "<devis@example.com>"
message.set_content("Bonjour Dave,\n\nPourriez-vous m'envoyer votre devis\u00a0?\n\nAlice\n")

# 1. Alice écrit à Dave ; le MX d'example.net, mail.example.net, est en panne.
with appareil("ordinateur d’Alice"):
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        smtp.starttls(context=contexte)
        smtp.login("alice@example.com", "alice-secret")
        smtp.send_message(message)

# 2. Après la première tentative, la file contient le message : identifiant, taille, heure
#    d'arrivée, expéditeur ; puis, entre parenthèses, la raison du report ; enfin le
#    destinataire qui attend encore.
attendre_file()
assert file_attente("example.com") == (
    "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
    "0000000001     1238 Mon Mar  2 09:00:02  alice@example.com\n"
    "            (connect to mail.example.net[203.0.113.25]:25: Connection refused)\n"
    "                                         dave@example.net\n"
    "\n"
    "-- 1 Kbytes in 1 Request.\n"
)

# 3. Cinq minutes plus tard, le MTA réessaie (requêtes DNS 5 et 6) : même échec, le message
#    reste en file ; la tentative suivante attendra deux fois plus longtemps.
avancer_horloge(minutes=5)
assert "(connect to mail.example.net" in file_attente("example.com")
