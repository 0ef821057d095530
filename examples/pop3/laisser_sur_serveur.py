"""POP3 sans DELE : les messages restent sur le serveur et UIDL permet de les reconnaître."""

import poplib
import ssl

from labo import appareil, deposer

contexte = ssl.create_default_context()
deposer("bob@example.org", sujet="Facture de mars")
deposer("bob@example.org", sujet="Compte rendu de réunion")


def relever(nom_appareil: str) -> list[bytes]:
    """Télécharge tout sans rien supprimer ; renvoie les identifiants uniques (UIDL)."""
    with appareil(nom_appareil):
        pop = poplib.POP3_SSL("pop.example.org", 995, context=contexte)
        pop.user("bob@example.org")
        pop.pass_("bob-secret")
        _, lignes, _ = pop.uidl()  # « numéro identifiant » pour chaque message
        for numero in range(1, len(lignes) + 1):
            pop.retr(numero)
        pop.quit()  # pas de DELE : rien n'est effacé
        return [ligne.split()[1] for ligne in lignes]


ordinateur = relever("ordinateur de Bob")
telephone = relever("téléphone de Bob")

# Les deux appareils voient les deux messages, avec les mêmes identifiants :
# c'est ainsi qu'un client « laisse une copie sur le serveur » sans tout retélécharger.
assert len(ordinateur) == 2
assert telephone == ordinateur
