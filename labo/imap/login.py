"""Who may log in to the IMAP server: the lab's users, checked against ``labo.identity``.

pymap's maildir backend reads users from its own passwd-like files; the lab already knows its
users, so this login reads them from :data:`labo.identity.USERS` (one list for every protocol)
and opens each user's Maildir in the shared store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial

from pymap.backend.maildir import Config, FilterSet
from pymap.backend.maildir.layout import DefaultLayout
from pymap.exceptions import AuthorizationFailure, InvalidAuth, NotAllowedError
from pymap.interfaces.login import IdentityInterface, LoginInterface
from pymap.token import AllTokens
from pymap.user import UserMetadata
from pysasl.creds.server import ServerCredentials
from pysasl.identity import ClearIdentity

from labo.clock import LabClock
from labo.identity import User, user_by_login
from labo.imap.changes import ChangeBoard
from labo.imap.mailboxes import LabMailboxSet
from labo.imap.maildir import StoreMaildir, maildir_factory
from labo.imap.session import LabSession
from labo.store import MailStore


class LabLogin(LoginInterface):
    """Authenticates LOGIN and AUTHENTICATE PLAIN/LOGIN against the lab's users."""

    def __init__(
        self, config: Config, store: MailStore, clock: LabClock, changes: ChangeBoard
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._changes = changes
        self._tokens = AllTokens(config)

    @property
    def tokens(self) -> AllTokens:
        return self._tokens

    async def authenticate(self, credentials: ServerCredentials) -> LabIdentity:
        user = user_by_login(credentials.authcid)
        # The login is matched case-insensitively, like labo.identity does for every protocol.
        if user is None or not credentials.verify(
            ClearIdentity(credentials.authcid, user.password)
        ):
            raise InvalidAuth()
        return LabIdentity(user, self._config, self._store, self._clock, self._changes)

    async def authorize(self, authenticated: IdentityInterface, authzid: str) -> LabIdentity:
        # Nobody may act as another user in the lab (no admin roles).
        if (
            not isinstance(authenticated, LabIdentity)
            or user_by_login(authzid) != authenticated.user
        ):
            raise AuthorizationFailure()
        return authenticated


class LabIdentity(IdentityInterface):
    """A logged-in lab user: opens sessions on their Maildir, cannot be changed over IMAP."""

    def __init__(
        self, user: User, config: Config, store: MailStore, clock: LabClock, changes: ChangeBoard
    ) -> None:
        self.user = user
        self._config = config
        self._store = store
        self._clock = clock
        self._changes = changes

    @property
    def name(self) -> str:
        return self.user.login

    @property
    def roles(self) -> frozenset[str]:
        return frozenset()

    @asynccontextmanager
    async def new_session(self) -> AsyncIterator[LabSession]:
        root = str(self._store.maildir(self.user))
        keys = self._store.next_key
        inbox = StoreMaildir(root, keys=keys)
        layout = DefaultLayout(root, maildir_factory(keys))  # Maildir++: folders are .Name
        mailboxes = LabMailboxSet(
            inbox,
            layout,
            login=self.name,
            clock=self._clock,
            keys=keys,
            signal=self._changes.signal(self.name),
            notify=partial(self._store.changed, self.user),
        )
        yield LabSession(self.name, self._config, mailboxes, FilterSet(root))

    async def new_token(self, *, expiration: datetime | None = None) -> str | None:
        return None  # no bearer tokens in the lab

    async def get(self) -> UserMetadata:
        return UserMetadata(self._config, self.user.login, password=self.user.password)

    async def set(self, metadata: UserMetadata) -> int | None:
        raise NotAllowedError("The lab's accounts cannot be changed.")

    async def delete(self) -> None:
        raise NotAllowedError("The lab's accounts cannot be deleted.")
