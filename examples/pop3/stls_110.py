"""POP3 sur le port 110 : pas de mot de passe tant que la session n’est pas chiffrée (STLS)."""

import poplib
import ssl

from labo import appareil, deposer

contexte = ssl.create_default_context()
deposer("bob@example.org", sujet="Facture de mars")

with appareil("ordinateur de Bob"):
    pop = poplib.POP3("pop.example.org", 110)
    capacites = pop.capa()
    assert "STLS" in capacites and "USER" not in capacites  # en clair : pas de USER proposé

    try:
        pop.user("bob@example.org")
    except poplib.error_proto as refus:
        assert b"[AUTH]" in refus.args[0]  # refusé : le mot de passe passerait en clair
    else:
        raise AssertionError("le serveur aurait dû refuser USER avant STLS")

    pop.stls(context=contexte)  # on chiffre la session (RFC 2595)
    assert "USER" in pop.capa() and "STLS" not in pop.capa()
    pop.user("bob@example.org")
    pop.pass_("bob-secret")
    assert pop.stat()[0] == 1
    pop.quit()
