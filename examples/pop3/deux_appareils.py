"""POP3 : l’ordinateur relève et supprime le message, le téléphone ne le trouve plus."""

import poplib
import ssl

from labo import appareil, deposer

contexte = ssl.create_default_context()
deposer("bob@example.org", sujet="Facture de mars")

# L'ordinateur de Bob télécharge le message (RETR), le marque à supprimer (DELE)
# et termine la session (QUIT) : c'est à ce moment que le serveur l'efface.
with appareil("ordinateur de Bob"):
    pop = poplib.POP3_SSL("pop.example.org", 995, context=contexte)
    pop.user("bob@example.org")
    pop.pass_("bob-secret")
    nombre, _ = pop.stat()
    assert nombre == 1
    _, lignes, _ = pop.retr(1)
    pop.dele(1)
    pop.quit()

# Le téléphone de Bob se connecte ensuite : la boîte est vide.
with appareil("téléphone de Bob"):
    pop = poplib.POP3_SSL("pop.example.org", 995, context=contexte)
    pop.user("bob@example.org")
    pop.pass_("bob-secret")
    assert pop.stat() == (0, 0)
    pop.quit()
