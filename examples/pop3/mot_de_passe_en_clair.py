"""Un ancien serveur POP3 accepte le mot de passe en clair : tout le réseau peut le lire."""

import poplib

from labo import appareil, serveur_pop3_ancien

# Pour cette démonstration seulement, le labo se comporte comme un serveur mal configuré.
with serveur_pop3_ancien(), appareil("vieux logiciel de Bob"):
    pop = poplib.POP3("pop.example.org", 110)
    pop.user("bob@example.org")
    pop.pass_("bob-secret")  # voyez la transcription : le mot de passe circule tel quel
    pop.quit()
