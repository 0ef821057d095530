"""Soumission sur le port 587 : STARTTLS d’abord, puis l’authentification, puis l’envoi."""

import smtplib
import ssl

from labo import appareil

contexte = ssl.create_default_context()

with appareil("ordinateur d'Alice"):
    with smtplib.SMTP("smtp.example.com", 587, local_hostname="ordinateur.example.com") as smtp:
        # En clair, le serveur propose STARTTLS mais pas encore AUTH…
        smtp.ehlo()
        assert smtp.has_extn("starttls") and not smtp.has_extn("auth")
        # … et refuse tout message tant que la session n'est pas chiffrée.
        code, reponse = smtp.mail("alice@example.com")
        assert code == 530 and b"STARTTLS" in reponse

        # Après STARTTLS, la session est chiffrée : AUTH apparaît, STARTTLS disparaît.
        smtp.starttls(context=contexte)
        smtp.ehlo()
        assert smtp.has_extn("auth") and not smtp.has_extn("starttls")

        # Chiffré ne suffit pas : sans authentification, le MSA refuse (RFC 6409 §4.3).
        code, reponse = smtp.mail("alice@example.com")
        assert code == 530 and b"Authentication required" in reponse

        smtp.login("alice@example.com", "alice-secret")
        refus = smtp.sendmail(
            "alice@example.com",
            ["bob@example.org"],
            b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: Essai\r\n"
            b"Date: Mon, 02 Mar 2026 08:59:00 +0000\r\nMessage-ID: <essai-587@example.com>\r\n"
            b"\r\nBonjour Bob !\r\n",
        )
        assert refus == {}  # aucun destinataire refusé
