"""The special-use folders every user has, as a freshly installed Dovecot creates them (RFC 6154).

Clients find ``Sent``, ``Drafts``, ``Trash`` and ``Junk`` by their LIST attribute (``\\Sent``…),
not by name, and file what they send into ``\\Sent`` with APPEND. The folders exist after every
store reset, subscribed, each with a ``dovecot-uidlist`` whose UIDVALIDITY is the INBOX's (the
lab's first instant, when the server "installed" them) and whose MAILBOXID derives from it, so
every run shows the same identifiers.
"""

from __future__ import annotations

from pymap.backend.maildir.subscriptions import Subscriptions

from labo.identity import USERS
from labo.imap.identifiers import INBOX_UID_VALIDITY, seed_uidlist
from labo.store import MailStore

#: Folder name → its RFC 6154 attribute (without the backslash, as pymap spells attributes).
SPECIAL_USE: dict[str, bytes] = {
    "Drafts": b"Drafts",
    "Sent": b"Sent",
    "Junk": b"Junk",
    "Trash": b"Trash",
}


def create_special_folders(store: MailStore) -> None:
    """Give every user's Maildir its special-use folders, subscribed (run after each reset)."""
    for user in USERS:
        inbox = store.maildir(user)
        if not inbox.is_dir():
            continue
        for name in SPECIAL_USE:
            folder = store.maildir(user, name)
            for sub in ("cur", "new", "tmp"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
            seed_uidlist(folder, login=user.login, name=name, uid_validity=INBOX_UID_VALIDITY)
        subscriptions = Subscriptions.get_file(str(inbox))
        with open(subscriptions, "w", encoding="ascii", newline="") as handle:
            handle.writelines(f"{name}\r\n" for name in SPECIAL_USE)
