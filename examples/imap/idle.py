"""IMAP IDLE : le téléphone attend, le serveur le prévient dès qu’un message arrive."""

import imaplib
import ssl

from labo import appareil, deposer

contexte = ssl.create_default_context()

with appareil("téléphone de Bob"):
    telephone = imaplib.IMAP4_SSL("imap.example.org", ssl_context=contexte)
telephone.login("bob@example.org", "bob-secret")
telephone.select("INBOX")

# imaplib n'a pas de méthode idle() avant Python 3.14 : on envoie la commande à la main.
etiquette = telephone._new_tag()
telephone.send(etiquette + b" IDLE\r\n")
assert telephone.readline().startswith(b"+")  # le serveur accepte d'attendre

# Pendant ce temps, un message arrive dans la boîte de Bob (le MDA le dépose).
deposer("bob@example.org", sujet="Tu es là ?")

# Le téléphone, toujours en attente, reçoit la nouvelle sans rien demander.
assert telephone.readline().strip() == b"* 1 EXISTS"  # la boîte compte un message
assert telephone.readline().strip() == b"* 1 RECENT"  # … arrivé depuis la dernière visite
telephone.send(b"DONE\r\n")  # fin de l'attente
while not telephone.readline().startswith(etiquette):
    pass
telephone.logout()
