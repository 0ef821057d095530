"""POP3 : DELE sans QUIT ne supprime rien, la suppression n’a lieu qu’à la fin de la session."""

import poplib
import ssl

from labo import appareil, deposer

contexte = ssl.create_default_context()
deposer("bob@example.org", sujet="Facture de mars")

with appareil("téléphone de Bob"):
    pop = poplib.POP3_SSL("pop.example.org", 995, context=contexte)
    pop.user("bob@example.org")
    pop.pass_("bob-secret")
    pop.dele(1)  # marqué pour suppression…
    pop.close()  # … mais la connexion se coupe sans QUIT (tunnel, batterie vide…)

with appareil("ordinateur de Bob"):
    pop = poplib.POP3_SSL("pop.example.org", 995, context=contexte)
    pop.user("bob@example.org")
    pop.pass_("bob-secret")
    assert pop.stat()[0] == 1  # le message est toujours là (RFC 1939 §6)
    pop.quit()
