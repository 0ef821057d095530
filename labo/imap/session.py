"""One user's IMAP session: pymap's maildir session, announcing changes the way Dovecot does.

* A new message is announced by ``* n EXISTS`` (and ``* n RECENT`` when this session is the first
  to see it) and nothing else: pymap also sends ``* n FETCH (FLAGS ())`` for it, which no client
  asked for (RFC 9051 §7.4.1 leaves FETCH for changes to messages the client already knows).
* LIST marks the special-use folders with their attribute (``\\Sent``…, RFC 6154), and lists
  INBOX first, then the folders by name: pymap follows the directory's order, which differs
  from one file system to another.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from pymap.backend.maildir import Session
from pymap.flags import PermanentFlags, SessionFlags
from pymap.mailbox import MailboxSnapshot
from pymap.parsing.response import UntaggedResponse
from pymap.parsing.response.specials import FetchResponse
from pymap.selected import SelectedMailbox, _Frozen

from labo.imap.special_use import SPECIAL_USE


class LabSelectedMailbox(SelectedMailbox):
    """pymap's selected mailbox, without the FETCH it sends for every new message."""

    def _compare(
        self, before: _Frozen, after: _Frozen, with_uid: bool
    ) -> Iterator[UntaggedResponse]:
        new_seqs = {after.seqs_cache[uid] for uid in after.uids - before.uids}
        for response in super()._compare(before, after, with_uid):
            if isinstance(response, FetchResponse) and response.seq in new_seqs:
                continue
            yield response


class LabSession(Session):
    """pymap's maildir session with the lab's selected mailbox and special-use attributes."""

    async def select_mailbox(
        self, name: str, readonly: bool = False
    ) -> tuple[MailboxSnapshot, SelectedMailbox]:
        # pymap's own, but building a LabSelectedMailbox (fork() keeps the class it is given).
        mbx = await self._get_mailbox(name)
        selected = LabSelectedMailbox(
            mbx.mailbox_id,
            readonly or mbx.readonly,
            PermanentFlags(mbx.permanent_flags),
            SessionFlags(mbx.session_flags),
            selected_set=mbx.selected_set,
            lookup=name,
        )
        if not selected.readonly:
            await mbx.claim_recent(selected)
        snapshot = await mbx.snapshot()
        return snapshot, await mbx.update_selected(selected)

    async def list_mailboxes(
        self,
        ref_name: str,
        filter_: str,
        subscribed: bool = False,
        selected: SelectedMailbox | None = None,
    ) -> tuple[Iterable[tuple[str, str | None, Sequence[bytes]]], SelectedMailbox | None]:
        listed, updates = await super().list_mailboxes(ref_name, filter_, subscribed, selected)
        marked = [
            (name, delimiter, _with_special_use(name, attributes))
            for name, delimiter, attributes in listed
        ]
        marked.sort(key=lambda entry: (entry[0] != "INBOX", entry[0]))
        return marked, updates


def _with_special_use(name: str, attributes: Sequence[bytes]) -> Sequence[bytes]:
    special = SPECIAL_USE.get(name)
    return attributes if special is None else [*attributes, special]
