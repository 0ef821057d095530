"""pymap's maildir mailboxes, made repeatable and quick to notice changes.

What changes from pymap's ``MailboxData`` / ``MailboxSet`` and why:

* new UIDs go to new files in name order, not in the file system's listing order, and EMAILID /
  THREADID come from the Maildir key instead of ``random`` (same UIDs and ids on every machine);
* APPEND stores the literal byte for byte (pymap re-generates it with the ``email`` package),
  under a name from the store's counter, dated by the lab clock unless the client gives a date;
* COPY copies the file's content (pymap copies only its metadata and writes an empty message);
* messages are served by :mod:`.message`: INTERNALDATE in UTC, content as stored;
* a mailbox gets its ``dovecot-uidlist`` (UIDVALIDITY, MAILBOXID) from :mod:`.identifiers` before
  pymap opens it, since pymap would draw them at random;
* folder names are checked (:mod:`.names`) before they become paths, CREATE makes the
  superior folders it needs, CREATE of an existing folder and RENAME onto one answer
  NO [ALREADYEXISTS], RENAME of a missing folder NO [NONEXISTENT] (pymap lets names reach
  outside the Maildir, or ends the connection with BYE [SERVERBUG], or answers OK);
* IDLE waits for the store's change signal (:mod:`.changes`) instead of polling every second,
  and every write of a session (APPEND, COPY, flags, EXPUNGE) raises that signal in turn;
* every look at the mailbox gives new messages their UIDs and claims ``\\Recent`` for this
  session, as Dovecot does, so IDLE and NOOP announce ``* n RECENT`` after ``* n EXISTS``;
* the ``\\Recent`` claim does not depend on the order files are listed in, and never takes a
  file that has no UID yet;
* the hierarchy delimiter is Maildir++'s ``.``, as Dovecot shows it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymap.backend.maildir.layout import MaildirLayout
from pymap.backend.maildir.mailbox import MailboxData, MailboxSet
from pymap.backend.maildir.uidlist import Record, UidList
from pymap.concurrent import Event
from pymap.exceptions import MailboxError, NotSupportedError
from pymap.flags import FlagOp
from pymap.interfaces.message import CachedMessage
from pymap.parsing.message import AppendMessage
from pymap.parsing.response import ResponseCode
from pymap.parsing.specials import ObjectId
from pymap.parsing.specials.flag import Flag
from pymap.selected import SelectedMailbox

from labo.clock import LabClock
from labo.imap.changes import ChangeSignal
from labo.imap.identifiers import INBOX_UID_VALIDITY, message_ids, seed_uidlist
from labo.imap.maildir import KeySource, StoreMaildir
from labo.imap.message import StoreMessage, as_served
from labo.imap.names import DELIMITER, ancestors, is_folder_name

_CANNOT = ResponseCode.of(b"CANNOT")


class LabMailboxData(MailboxData):
    """One mailbox (INBOX or a folder) as seen by one session."""

    def __init__(
        self,
        mailbox_id: ObjectId,
        maildir: StoreMaildir,
        path: str,
        *,
        keys: KeySource,
        signal: ChangeSignal,
        notify: Callable[[], None],
    ) -> None:
        super().__init__(mailbox_id, maildir, path)
        self._store_maildir = maildir
        self._keys = keys
        self._signal = signal
        self._notify = notify  # tells every session of this user that something changed
        self._seen_version = signal.version  # the state this session last showed its client
        self._listed_version = -1  # the state the last UID assignment (``reset``) listed

    async def update_selected(
        self, selected: SelectedMailbox, *, wait_on: Event | None = None
    ) -> SelectedMailbox:
        if wait_on is not None:  # IDLE: until something changes or the client says DONE
            await self._signal.wait_beyond(self._seen_version, wait_on)
        # What this session shows from here on is at least as fresh as the signal now: a change
        # signalled later makes the next IDLE wait return at once.
        self._seen_version = self._signal.version
        if self._listed_version != self._seen_version:
            await self.reset()  # a change since the directory was last listed: UIDs for it
        if not selected.readonly:
            await self.claim_recent(selected)
        return await super().update_selected(selected)

    async def append(self, append_msg: AppendMessage, *, recent: bool = False) -> StoreMessage:
        key, timestamp = self._keys()
        when = append_msg.when or datetime.fromtimestamp(timestamp, UTC)
        flags = self.maildir_flags.to_maildir(append_msg.flag_set)
        info = "2," + "".join(sorted(flags)) if flags else ""
        async with self.messages_lock.write_lock():
            self._store_maildir.add_bytes(
                append_msg.literal,
                subdir="new" if recent else "cur",
                info=info,
                mtime=when.timestamp(),
                key=key,
            )
        fields = message_ids(key)
        async with UidList.with_write(self._path) as uidlist:
            record = Record(uidlist.next_uid, fields, f"{key}:{info}")
            uidlist.next_uid += 1
            uidlist.set(record)
        self._notify()
        return StoreMessage(
            record.uid,
            when.astimezone(UTC),
            self.maildir_flags.from_maildir(flags),
            email_id=ObjectId(fields["E"].encode("ascii")),
            thread_id=ObjectId(fields["T"].encode("ascii")),
            recent=recent,
            maildir=self._store_maildir,
            key=key,
        )

    async def copy(self, uid: int, destination: MailboxData, *, recent: bool = False) -> int | None:
        assert isinstance(destination, LabMailboxData)
        try:
            record, metadata = await self._get_maildir_msg(uid)
            async with self.messages_lock.read_lock():
                content = self._store_maildir.get_bytes(record.key)
        except (KeyError, FileNotFoundError):
            return None
        info = metadata.get_info()
        async with destination.messages_lock.write_lock():
            key = destination._store_maildir.add_bytes(
                content,
                subdir="new" if recent else "cur",
                info=info,
                mtime=metadata.get_date(),  # a copy keeps its INTERNALDATE (RFC 9051 §6.4.7)
            )
        async with UidList.with_write(destination._path) as uidlist:
            new_record = Record(uidlist.next_uid, record.fields, f"{key}:{info}")
            uidlist.next_uid += 1
            uidlist.set(new_record)
        self._notify()
        return new_record.uid

    async def get(self, uid: int, cached_msg: CachedMessage) -> StoreMessage:
        return as_served(await super().get(uid, cached_msg))

    async def update(
        self, uid: int, cached_msg: CachedMessage, flag_set: frozenset[Flag], mode: FlagOp
    ) -> StoreMessage:
        updated = as_served(await super().update(uid, cached_msg, flag_set, mode))
        self._notify()
        return updated

    async def delete(self, uids: Iterable[int]) -> None:
        await super().delete(uids)
        self._notify()

    async def move(self, uid: int, destination: MailboxData, *, recent: bool = False) -> int | None:
        moved = await super().move(uid, destination, recent=recent)
        self._notify()
        return moved

    async def messages(self) -> AsyncIterator[StoreMessage]:
        async for message in super().messages():
            yield as_served(message)

    async def claim_recent(self, selected: SelectedMailbox) -> None:
        async with UidList.with_read(self._path) as uidlist:
            uids = {record.key: record.uid for record in uidlist.records}
        async with self.messages_lock.write_lock():
            claimed = self._store_maildir.claim_new_of(uids)
        for key in claimed:
            selected.session_flags.add_recent(uids[key])

    async def reset(self) -> LabMailboxData:
        self._listed_version = self._signal.version  # the listing below is at least this fresh
        keys = await self._get_keys()
        async with UidList.with_write(self._path) as uidlist:
            for record in uidlist.records:
                keys.pop(record.key, None)
            for key in sorted(keys):
                filename = key + ":" + keys[key]
                uidlist.set(Record(uidlist.next_uid, message_ids(key), filename))
                uidlist.next_uid += 1
        self._uid_validity = uidlist.uid_validity
        self._next_uid = uidlist.next_uid
        return self


class LabMailboxSet(MailboxSet):
    """The mailboxes of one user, for one session."""

    def __init__(
        self,
        maildir: StoreMaildir,
        layout: MaildirLayout[Any],
        *,
        login: str,
        clock: LabClock,
        keys: KeySource,
        signal: ChangeSignal,
        notify: Callable[[], None],
    ) -> None:
        super().__init__(maildir, layout)
        self._login = login
        self._clock = clock
        self._keys = keys
        self._signal = signal
        self._notify = notify
        self._mailboxes: dict[str, LabMailboxData] = {}

    @property
    def delimiter(self) -> str:
        return DELIMITER

    async def get_mailbox(self, name: str) -> LabMailboxData:
        if name == "INBOX":
            maildir: StoreMaildir = self._inbox_maildir  # type: ignore[assignment]
        elif is_folder_name(name):
            try:
                maildir = self._layout.get_folder(name, self.delimiter)
            except FileNotFoundError as exc:
                raise KeyError(name) from exc
        else:
            raise KeyError(name)  # no folder can have that name
        path = self._path_of(name)
        self._seed(path, name)
        mailbox = self._mailboxes.get(name)
        if mailbox is None:
            async with UidList.with_init(path) as uidlist:
                mailbox_id = ObjectId(uidlist.global_uid)
            mailbox = LabMailboxData(
                mailbox_id, maildir, path, keys=self._keys, signal=self._signal, notify=self._notify
            )
            self._mailboxes[name] = mailbox
        return await mailbox.reset()

    async def add_mailbox(self, name: str) -> ObjectId:
        _require_folder_name(name)
        if self._exists(name):
            raise ValueError(name)  # what the session turns into NO [ALREADYEXISTS]
        for ancestor in ancestors(name):  # RFC 9051 §6.3.4: create the superiors it needs
            if not self._exists(ancestor):
                self._create(ancestor)
        self._create(name)
        async with UidList.with_init(self._path_of(name)) as uidlist:
            return ObjectId(uidlist.global_uid)

    async def delete_mailbox(self, name: str) -> None:
        if not is_folder_name(name):
            raise KeyError(name)
        await super().delete_mailbox(name)
        self._forget(name)

    async def rename_mailbox(self, before: str, after: str) -> None:
        if before == "INBOX":
            raise NotSupportedError("Renaming INBOX is not supported.")
        if not is_folder_name(before) or not self._exists(before):
            raise KeyError(before)  # NO [NONEXISTENT] (pymap would answer OK)
        _require_folder_name(after)
        if self._exists(after):
            raise ValueError(after)  # NO [ALREADYEXISTS]
        if after.startswith(before + DELIMITER):
            raise MailboxError(after, b"Cannot move a mailbox into itself.", _CANNOT)
        for ancestor in ancestors(after):
            if not self._exists(ancestor):
                self._create(ancestor)
        self._layout.rename_folder(before, after, self.delimiter)
        self._forget(before)

    def _path_of(self, name: str) -> str:
        return self._layout.get_path(name, self.delimiter)

    def _exists(self, name: str) -> bool:
        return os.path.isdir(self._path_of(name))

    def _create(self, name: str) -> None:
        self._layout.add_folder(name, self.delimiter)
        self._seed(self._path_of(name), name)

    def _forget(self, name: str) -> None:
        """Drop the cached state of ``name`` and of the folders below it."""
        for cached in list(self._mailboxes):
            if cached == name or cached.startswith(name + DELIMITER):
                del self._mailboxes[cached]

    def _seed(self, path: str, name: str) -> None:
        directory = Path(path)
        if not directory.is_dir() or os.path.exists(directory / UidList.FILE_NAME):
            return
        uid_validity = self._new_uid_validity(name)
        seed_uidlist(directory, login=self._login, name=name, uid_validity=uid_validity)

    def _new_uid_validity(self, name: str) -> int:
        """INBOX's fixed value, or a folder's creation time on the lab clock as Dovecot does.

        A folder created again later so gets a greater one, as RFC 9051 §2.3.1.1 requires.
        """
        if name == "INBOX":
            return INBOX_UID_VALIDITY
        return int(self._clock.now().timestamp())


def _require_folder_name(name: str) -> None:
    if not is_folder_name(name):
        raise MailboxError(name, b"Invalid mailbox name.", _CANNOT)
