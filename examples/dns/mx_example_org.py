"""DNS : où remettre le courrier d’example.org, et qui a le droit d’écrire au nom d’example.com."""

import dns.resolver

# 1. L'enregistrement MX dit quel serveur reçoit le courrier du domaine (RFC 5321 §5.1),
#    l'enregistrement A donne l'adresse de ce serveur.
mx = dns.resolver.resolve("example.org", "MX")
assert (mx[0].preference, str(mx[0].exchange)) == (10, "mx.example.org.")
assert dns.resolver.resolve("mx.example.org", "A")[0].address == "198.51.100.25"


def txt(nom: str) -> str:
    """Le texte d'un enregistrement TXT (le DNS le découpe en morceaux de 255 octets au plus)."""
    return b"".join(dns.resolver.resolve(nom, "TXT")[0].strings).decode()


# 2. SPF (RFC 7208) : seule l'adresse du MSA d'example.com peut envoyer pour ce domaine.
assert txt("example.com") == "v=spf1 ip4:192.0.2.10 -all"

# 3. DMARC (RFC 9989) : un message dont le From: usurpe example.com doit être refusé.
assert txt("_dmarc.example.com") == "v=DMARC1; p=reject"

# 4. Un domaine qui n'existe pas : le DNS répond NXDOMAIN, une réponse comme une autre.
try:
    dns.resolver.resolve("ailleurs.test", "MX")
except dns.resolver.NXDOMAIN:
    pass
else:
    raise AssertionError("ce domaine ne devrait pas exister")
