"""DMARC : un serveur d’example.net se fait passer pour Alice, le MX d’example.org refuse."""

import smtplib

from labo import appareil

# Un message « d'Alice »… écrit par un tiers qui n'a aucun droit d'écrire au nom d'example.com.
faux = (
    b"From: Alice Martin <alice@example.com>\r\n"
    b"To: Bob Durand <bob@example.org>\r\n"
    b"Subject: Nouveau RIB\r\n"
    b"Date: Mon, 02 Mar 2026 08:59:00 +0000\r\n"
    b"Message-ID: <rib@example.net>\r\n"
    b"\r\n"
    b"Bonjour Bob, merci de virer le loyer sur mon nouveau compte.\r\n"
)

# Le serveur d'example.net se connecte depuis sa propre adresse (celle de mail.example.net).
with appareil("serveur d’example.net", adresse="203.0.113.25"):
    with smtplib.SMTP("mx.example.org", 25, local_hostname="mail.example.net") as smtp:
        # L'enveloppe (MAIL FROM) est d'example.net ; seul l'en-tête From:, celui que Bob
        # lit, usurpe example.com. DMARC exige qu'SPF ou DKIM valide le domaine du From: :
        # ici aucun des deux, et la politique d'example.com est p=reject.
        try:
            smtp.sendmail("facturation@example.net", ["bob@example.org"], faux)
        except smtplib.SMTPDataError as erreur:
            refus = erreur  # smtplib a envoyé RSET : la session reste utilisable
        else:
            raise AssertionError("le MX aurait dû refuser ce message")

assert refus.smtp_code == 550
assert refus.smtp_error == b"5.7.1 Rejected by DMARC policy for example.com"
