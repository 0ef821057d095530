"""What an example may ask of the lab it runs against, in plain sight on the page.

An example that needs a less careful server says so in its own code (``with
serveur_pop3_ancien():``), so the reader sees exactly under which configuration the transcript
was produced. The worker registers the lab it runs; the lab restores its defaults at each reset.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labo.lab import Lab
    from labo.queue.store import MailQueue

_current: Lab | None = None


def register(lab: Lab | None) -> None:
    """Called by the lab when it starts and stops: examples act on the lab of their process."""
    global _current
    _current = lab


def current_lab() -> Lab:
    if _current is None or _current.shared is None:
        raise RuntimeError(
            "aucun labo n'est démarré dans ce processus : exécutez l'exemple avec "
            "« make run F=examples/… »."
        )
    return _current


@contextlib.contextmanager
def serveur_pop3_ancien() -> Iterator[None]:
    """Inside this block, POP3 on port 110 accepts passwords in clear, like a legacy server."""
    shared = current_lab().shared
    assert shared is not None
    previous = shared.options
    shared.options = dataclasses.replace(previous, pop3_plaintext_passwords=True)
    try:
        yield
    finally:
        shared.options = previous


def deposer(
    destinataire: str,
    *,
    sujet: str,
    corps: str = "Bonjour,\n\nCeci est un message de démonstration.\n",
    expediteur: str = "Carole Petit <carole@fournisseur.test>",
) -> str:
    """Put a message straight into a mailbox, as the MDA would have, and return its Maildir key.

    Examples that are about reading mail start from a mailbox that already holds a message,
    without the SMTP conversation that brought it (another example shows that one).
    """
    import hashlib
    from email.message import EmailMessage
    from email.utils import format_datetime

    from labo.identity import user_by_address

    user = user_by_address(destinataire)
    if user is None:
        raise ValueError(f"« {destinataire} » n'est pas une boîte du labo.")
    context = current_lab().context_of(user.address)
    message = EmailMessage()
    message["From"] = expediteur
    message["To"] = destinataire
    message["Subject"] = sujet
    message["Date"] = format_datetime(context.clock.now())
    digest = hashlib.sha256(f"{destinataire}\0{sujet}".encode()).hexdigest()[:12]
    message["Message-ID"] = f"<{digest}@fournisseur.test>"
    message.set_content(corps)
    return context.store.deliver(
        user, message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    )


def file_attente(domaine: str) -> str:
    """The queue of the provider of ``domaine``, as ``postqueue -p`` prints it."""
    return current_lab().context_of(domaine).queue_listing()


def avancer_horloge(*, minutes: float = 0, heures: float = 0, jours: float = 0) -> None:
    """Move the lab clock forward; every retry whose time falls in between happens, in order.

    Returns once the deliveries this started are over, so what follows sees their result.
    """
    from datetime import timedelta

    from labo.identity import PROVIDERS
    from labo.queue.catchup import advance_with_retries

    lab = current_lab()
    assert lab.shared is not None

    def queues() -> list[MailQueue]:
        mtas = (lab.context_of(domain).mta for domain in PROVIDERS)
        return [mta.queue for mta in mtas if mta is not None]

    delta = timedelta(minutes=minutes, hours=heures, days=jours)
    advance_with_retries(lab.shared.clock, delta, queues=queues, flush=lab.flush_queues)


def attendre_file() -> None:
    """Wait until the MTAs have made every delivery attempt due now, and their relays are over.

    A message is relayed once the connection that brought it has closed, while the example goes
    on: an example that then reads a mailbox, or lists a queue, waits here first, as a person
    waits before checking (``postqueue -p`` shows an attempt only once it is over).
    """
    current_lab().flush_queues()
