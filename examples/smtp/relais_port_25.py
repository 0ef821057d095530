"""Le port 25 entre serveurs : STARTTLS proposé mais pas exigé, et pas de relais ouvert."""

import smtplib
import ssl

from labo import appareil

contexte = ssl.create_default_context()

with appareil("serveur d’example.net"):
    with smtplib.SMTP("mx.example.org", 25, local_hostname="mail.example.net") as smtp:
        smtp.ehlo()
        # Le MX propose de chiffrer, sans l'imposer (RFC 3207 §4), et ne demande pas d'AUTH.
        assert smtp.has_extn("starttls") and not smtp.has_extn("auth")
        smtp.starttls(context=contexte)
        smtp.ehlo()

        # Un message pour un destinataire du domaine est accepté…
        smtp.mail("carole@example.net")
        assert smtp.rcpt("bob@example.org")[0] == 250

        # … mais le MX refuse de relayer vers un domaine qui n'est pas le sien.
        code, reponse = smtp.rcpt("dave@ailleurs.test")
        assert code == 554 and b"5.7.1" in reponse

        code, _ = smtp.data(
            b"From: carole@example.net\r\nTo: bob@example.org\r\nSubject: Bonjour\r\n"
            b"Date: Mon, 02 Mar 2026 08:59:00 +0000\r\nMessage-ID: <mx-25@example.net>\r\n"
            b"\r\nUn message venu d'ailleurs.\r\n"
        )
        assert code == 250
