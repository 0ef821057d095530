"""What legitimately varies between two runs against Postfix and Dovecot, replaced by a marker.

Only this table is applied, and only to reference transcripts: everything else the servers say
must be identical from one run to the next. Each entry says why it varies.
"""

from __future__ import annotations

import re

#: An RFC 5322 date-time as servers write it (Postfix pads the day with a space).
_DATE = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), +\d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}"

#: (pattern, replacement, why it varies). Applied in order, line by line.
RULES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r"\b(queued as|id|ID:|Queue-ID:) [0-9A-F]{8,12}\b"),
        r"\1 <id-file>",
        "identifiant de file Postfix : dérivé de l'heure et du numéro d'inode",
    ),
    (
        re.compile(r"\b[0-9A-F]{8,12}(\.\d{9,10}/[\w.-]+)"),
        r"<id-file>\1",
        "frontière MIME d'un avis de non-remise Postfix : identifiant de file et heure",
    ),
    (
        re.compile(r"\.\d{9,10}/"),
        ".<heure>/",
        "heure (secondes Unix) dans une frontière MIME de Postfix",
    ),
    (
        re.compile(rf"(?<=; ){_DATE}(?: \(\w+\))?|{_DATE} \(\w+\)"),
        "<date>",
        "date de passage écrite par le serveur (fin d'un Received:, Date: d'un avis)",
    ),
    (
        re.compile(r"\b\d{14}\.[0-9A-F]{8,12}@"),
        "<horodatage>.<id-file>@",
        "Message-ID qu'écrit Postfix : heure et identifiant de file",
    ),
    (
        re.compile(r"^(\tid) [A-Za-z0-9+/]{22}$"),
        r"\1 <id-session>",
        "identifiant de session LMTP de Dovecot",
    ),
    (
        re.compile(r"\[UIDVALIDITY \d+\]"),
        "[UIDVALIDITY <uidvalidity>]",
        "UIDVALIDITY de Dovecot : l'heure de création de la boîte",
    ),
    (
        re.compile(r"\[(APPENDUID|COPYUID) \d+ "),
        r"[\1 <uidvalidity> ",
        "UIDVALIDITY de Dovecot dans la réponse à APPEND ou COPY (RFC 4315)",
    ),
    (
        re.compile(r"\(\d+\.\d{3}( \+ \d+\.\d{3})* secs\)"),
        "(<durée> secs)",
        "durée de traitement qu'affiche Dovecot à la fin de chaque réponse IMAP",
    ),
    (
        re.compile(r"^(\d+ [0-9a-fA-F]{8})[0-9a-fA-F]{8}$"),
        r"\1<uidvalidity>",
        "UIDL de Dovecot : UID du message suivi de l'UIDVALIDITY (heure) de la boîte",
    ),
    (
        re.compile(r"(BODY\[[^\]]*\] )\{\d+\}$"),
        r"\1{<taille>}",
        "taille d'un message qui contient un identifiant de file (de longueur variable)",
    ),
)

_LINE = re.compile(r"^(\[\d+\] (?:C: |S: |\*\* ))(.*)$")


def normalise_line(text: str) -> str:
    """One transcript line's text, after the rules."""
    for pattern, replacement, _ in RULES:
        text = pattern.sub(replacement, text)
    return text


def normalise(transcript: str) -> str:
    """A reference transcript's text form, with what varies replaced by markers."""
    lines = []
    for line in transcript.splitlines():
        match = _LINE.match(line)
        lines.append(match[1] + normalise_line(match[2]) if match else line)
    return "".join(line + "\n" for line in lines)
