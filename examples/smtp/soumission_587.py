"""Soumission sur le port 587 : STARTTLS d’abord, puis l’authentification, puis l’envoi."""

import smtplib
import ssl

from labo import appareil

contexte = ssl.create_default_context()

with appareil("ordinateur d’Alice"):
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

        # Chiffré ne suffit pas : sans authentification, le MSA refuse (RFC 6409 §4.3), dès
        # MAIL (530, RFC 4954 §6) ou, comme Postfix, au premier RCPT (554 5.7.1).
        code, reponse = smtp.mail("alice@example.com")
        if code == 250:
            code, reponse = smtp.rcpt("bob@example.org")
        assert code in (530, 554) and reponse.startswith(b"5.7.")
        smtp.rset()  # repartir d'une transaction vide avant AUTH

        smtp.login("alice@example.com", "alice-secret")
        refus = smtp.sendmail(
            "alice@example.com",
            ["bob@example.org"],
            b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: Essai\r\n"
            b"Date: Mon, 02 Mar 2026 08:59:00 +0000\r\nMessage-ID: <essai-587@example.com>\r\n"
            b"\r\nBonjour Bob !\r\n",
        )
        assert refus == {}  # aucun destinataire refusé
