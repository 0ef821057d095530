"""DNS : où remettre le courrier d’un domaine, avec ou sans enregistrement MX."""

import dns.resolver


def serveurs_de(domaine: str) -> list[str]:
    """Ce que fait un MTA avant de relayer (RFC 5321 §5.1) : les MX, du meilleur au moins bon,
    ou à défaut le domaine lui-même, s'il a une adresse (le « MX implicite »)."""
    try:
        reponse = dns.resolver.resolve(domaine, "MX")
    except dns.resolver.NoAnswer:  # le nom existe, mais sans MX
        dns.resolver.resolve(domaine, "A")  # (ou AAAA en IPv6) ; sans adresse : NoAnswer
        return [domaine]
    # Le plus petit nombre d'abord ; les suivants servent de secours.
    return [str(mx.exchange).rstrip(".") for mx in sorted(reponse, key=lambda mx: mx.preference)]


# 1. example.org publie un MX : le courrier de bob@example.org va à mx.example.org.
assert serveurs_de("example.org") == ["mx.example.org"]

# 2. mx.example.org n'a pas de MX à lui, mais une adresse : un message pour
#    quelqu'un@mx.example.org serait remis à cette adresse même.
assert serveurs_de("mx.example.org") == ["mx.example.org"]

# 3. Un domaine qui n'existe pas : NXDOMAIN, le message ne pourra jamais être remis.
try:
    serveurs_de("ailleurs.test")
except dns.resolver.NXDOMAIN:
    pass
else:
    raise AssertionError("ce domaine ne devrait pas exister")
