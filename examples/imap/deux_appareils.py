"""IMAP : ce que fait l’ordinateur (lu, nouveau dossier) se voit aussitôt sur le téléphone."""

import imaplib
import ssl

from labo import appareil, deposer

contexte = ssl.create_default_context()
deposer("bob@example.org", sujet="Facture de mars")


def connecter(nom_appareil: str) -> imaplib.IMAP4_SSL:
    with appareil(nom_appareil):
        imap = imaplib.IMAP4_SSL("imap.example.org", ssl_context=contexte)
    imap.login("bob@example.org", "bob-secret")
    return imap


ordinateur = connecter("ordinateur de Bob")
telephone = connecter("téléphone de Bob")

# L'ordinateur marque le message comme lu et crée un dossier.
ordinateur.select("INBOX")
ordinateur.store("1", "+FLAGS", "(\\Seen)")
ordinateur.create("Factures")

# Le téléphone voit le drapeau \Seen et le nouveau dossier : l'état vit sur le serveur.
telephone.select("INBOX")
_, drapeaux = telephone.fetch("1", "(FLAGS)")
assert b"\\Seen" in drapeaux[0]
_, dossiers = telephone.list()
assert any(b"Factures" in ligne for ligne in dossiers)

ordinateur.logout()
telephone.logout()
