"""DNS inverse : quel nom porte l’adresse qui se connecte, et ce nom mène-t-il bien à elle ?"""

import dns.resolver
import dns.reversename


def nom_confirme(adresse: str) -> str:
    """Le nom que le serveur écrit dans Received:, ou « unknown » : la vérification « iprev »
    de la RFC 8601 §3 (DNS inverse, puis confirmation à l'endroit)."""
    try:
        ptr = dns.resolver.resolve(dns.reversename.from_address(adresse), "PTR")
    except dns.resolver.NXDOMAIN:  # aucun nom publié pour cette adresse
        return "unknown"
    nom = str(ptr[0].target).rstrip(".")
    # Le PTR est écrit par qui possède l'adresse : il peut prétendre n'importe quoi. On ne le
    # croit que si ce nom, interrogé à l'endroit, redonne la même adresse.
    adresses = [a.address for a in dns.resolver.resolve(nom, "A")]
    return nom if adresse in adresses else "unknown"


# 1. L'adresse du MSA d'example.com, d'où partent les messages d'Alice : le nom est confirmé.
assert nom_confirme("192.0.2.10") == "smtp.example.com"

# 2. L'adresse d'une connexion à domicile, comme l'ordinateur d'Alice : aucun nom.
assert nom_confirme("203.0.113.102") == "unknown"
