"""Identifiers pymap would draw at random, derived here from the lab's own state.

pymap's maildir backend takes UIDVALIDITY from the wall clock and ``random``, and MAILBOXID,
EMAILID and THREADID from ``random``. All of them reach the wire (SELECT, STATUS, FETCH) or the
disk (``dovecot-uidlist``), so each is computed from something a scenario controls: the lab clock
and the Maildir key. Two runs of one scenario then give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pymap.backend.maildir.uidlist import UidList
from pymap.parsing.specials import ObjectId

from labo.clock import EPOCH
from labo.identity import USERS
from labo.store import MailStore

#: UIDVALIDITY of every INBOX: the lab's first instant, like a server that created the mailbox
#: then. Never changes across resets, so a client's cached UIDs read the same in every run.
INBOX_UID_VALIDITY = int(EPOCH.timestamp())


def uidlist_path(mailbox_dir: Path) -> Path:
    """Where pymap keeps a mailbox's UIDs, UIDVALIDITY and MAILBOXID."""
    return mailbox_dir / UidList.FILE_NAME


def mailbox_guid(login: str, name: str, uid_validity: int) -> bytes:
    """The 128-bit MAILBOXID of mailbox ``name`` of ``login``, as 32 hex digits.

    UIDVALIDITY is part of it: a folder deleted and created again is another mailbox and gets
    another id (RFC 8474), while a RENAME moves the file and so keeps it.
    """
    seed = f"{login}\0{name}\0{uid_validity}".encode()
    return hashlib.sha256(seed).hexdigest()[:32].encode("ascii")


def message_ids(key: str) -> dict[str, str]:
    """The EMAILID and THREADID fields pymap stores for the message of Maildir key ``key``.

    A COPY keeps the fields of its source, so a copy shares its EMAILID, as RFC 8474 asks.
    """
    email = ObjectId.new_email_id(_digest("email", key))
    thread = ObjectId.new_thread_id(_digest("thread", key))
    return {"E": email.value.decode("ascii"), "T": thread.value.decode("ascii")}


def seed_uidlist(mailbox_dir: Path, *, login: str, name: str, uid_validity: int) -> bool:
    """Write an empty ``dovecot-uidlist`` for ``mailbox_dir`` unless it has one; True if written.

    Written to ``tmp/`` first and renamed, so pymap never reads half a file.
    """
    target = uidlist_path(mailbox_dir)
    if target.exists():
        return False
    guid = mailbox_guid(login, name, uid_validity)
    uidlist = UidList(str(mailbox_dir), uid_validity, 1, guid)
    temporary = mailbox_dir / "tmp" / UidList.FILE_NAME
    temporary.parent.mkdir(parents=True, exist_ok=True)
    with open(temporary, "w", encoding="ascii", newline="") as handle:
        uidlist.write(handle)
    os.replace(temporary, target)
    return True


def seed_inboxes(store: MailStore) -> None:
    """Give every existing INBOX of the store its uidlist (run after each store reset)."""
    for user in USERS:
        inbox = store.maildir(user)
        if inbox.is_dir():
            seed_uidlist(inbox, login=user.login, name="INBOX", uid_validity=INBOX_UID_VALIDITY)


def _digest(kind: str, key: str) -> bytes:
    return hashlib.sha256(f"{kind}\0{key}".encode()).digest()[:16]
