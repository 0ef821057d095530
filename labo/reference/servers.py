"""Run the three reference instances: start, wait until they answer, reset, stop without a trace.

``ReferenceServers`` owns one temporary directory; everything the instances write lives there
(configuration, queues, mailboxes, certificates, logs) and every process they start is found
again through it (``labo.reference.processes``), so ``stop`` leaves nothing behind, even after
a failed start, an exception, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import atexit
import contextlib
import email
import email.utils
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from labo.identity import PROVIDERS, user_by_address
from labo.reference.config import (
    Endpoint,
    EndpointKey,
    Instance,
    ReferenceConfig,
    check_free,
    write_config,
)
from labo.reference.install import InstallError, Programs, missing_packages
from labo.reference.processes import find_processes, kill_all, wait_gone

#: Queue folders where a message waits; ``defer``/``bounce`` only hold logs about them.
QUEUES = ("maildrop", "incoming", "active", "deferred", "hold")


class ReferenceServerError(RuntimeError):
    """A reference instance failed (message in French, naming the instance and its log)."""


class ReferenceServers:
    """Two Postfix and one Dovecot; ``with ReferenceServers() as ref:`` starts and stops them."""

    def __init__(
        self,
        ports: Mapping[EndpointKey, int] | None = None,
        *,
        start_timeout: float = 10.0,
        programs: Programs | None = None,
        relays: Mapping[str, Endpoint] | None = None,
        hold_submissions: bool = False,
    ) -> None:
        self._ports = dict(ports or {})
        self._relays = dict(relays or {})
        self._hold = hold_submissions
        self.start_timeout = start_timeout
        self.programs = programs or Programs()
        self._config: ReferenceConfig | None = None
        self._previous_sigterm: Callable[[int, FrameType | None], Any] | int | None = None
        self._sigterm_installed = False
        self._attached = False

    @classmethod
    def attached(cls, config: ReferenceConfig, programs: Programs) -> ReferenceServers:
        """Instances another process started and will stop: reset and deliver, never stop.

        An example worker uses them through this; its ``stop`` only lets go of them.
        """
        servers = cls(programs=programs)
        servers._config = config
        servers._attached = True
        return servers

    # -- what clients need ----------------------------------------------------------------------

    @property
    def config(self) -> ReferenceConfig:
        if self._config is None:
            raise ReferenceServerError("Les serveurs de référence ne sont pas démarrés.")
        return self._config

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def endpoints(self) -> dict[EndpointKey, Endpoint]:
        """(provider domain, service name of ``labo.identity.SERVICES``) → (address, port)."""
        return dict(self.config.endpoints)

    @property
    def ca_file(self) -> Path:
        return self.config.ca_file

    def logs(self) -> dict[str, str]:
        """Each instance's log so far, by instance name (``postfix-com``, ``dovecot``…)."""
        return {
            instance.name: instance.log.read_text(encoding="utf-8", errors="replace")
            if instance.log.exists()
            else ""
            for instance in self.config.instances
        }

    # -- life cycle -----------------------------------------------------------------------------

    def __enter__(self) -> ReferenceServers:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> ReferenceServers:
        """Write the configuration, start Dovecot and both Postfix, wait until all answer.

        ``start_timeout`` bounds the whole start, not each step.
        """
        missing = missing_packages()
        if missing:
            raise InstallError(
                f"Postfix et Dovecot manquent ({', '.join(missing)}) : lancez « make reference »."
            )
        root = Path(tempfile.mkdtemp(prefix="labo-reference-"))
        atexit.register(self.stop)
        self._install_sigterm()
        try:
            self._config = write_config(
                root, self._ports, self._relays, hold_submissions=self._hold
            )
            check_free(self._config.endpoints)
            deadline = time.monotonic() + self.start_timeout
            # All three at once; each command returns once its daemon listens (or failed).
            self._run_all(
                [(self._config.dovecot, [str(self.programs.dovecot), "-c", "{config}"])]
                + [
                    (instance, [str(self.programs.postfix_master), "-c", "{config}", "-w"])
                    for instance in self._config.postfix.values()
                ],
                deadline,
            )
            self._wait_listening(deadline)
        except BaseException:
            self._config = self._config or _bare_config(root)
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the instances, kill any process left, remove the directory. Safe to call twice."""
        config, self._config = self._config, None
        if self._attached:
            return
        atexit.unregister(self.stop)
        self._restore_sigterm()
        if config is None:
            return
        # What `postfix stop` does, without its script's logging delay: SIGTERM to the master.
        pid_files = [config.queue_directory(d) / "pid" / "master.pid" for d in config.postfix]
        pid_files.append(config.dovecot.config.parent / "run" / "master.pid")
        for pid_file in pid_files:
            with contextlib.suppress(OSError, ValueError):  # not started, or already gone
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        # Dovecot's master would wait a second for its login processes: end them too.
        for pid in find_processes(config.root):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        survivors = wait_gone(config.root, timeout=3.0)
        if survivors:
            survivors = kill_all(config.root)
        shutil.rmtree(config.root, ignore_errors=True)
        if survivors:
            raise ReferenceServerError(
                f"Processus des serveurs de référence impossibles à arrêter : "
                f"{', '.join(map(str, sorted(survivors)))}."
            )

    def processes(self) -> set[int]:
        """The live processes of the instances (for checks: none should survive ``stop``)."""
        return find_processes(self.config.root)

    # -- between two examples -------------------------------------------------------------------

    def reset(self) -> None:
        """Empty both Postfix queues and every mailbox (UIDs start again at 1).

        Call it with no client connected: a session still open would see its mailbox vanish.
        """
        config = self.config
        for instance in config.postfix.values():
            self._quiet([str(self.programs.postsuper), "-c", str(instance.config), "-d", "ALL"])
        for domain_dir in config.mail_root.iterdir():
            shutil.rmtree(domain_dir, ignore_errors=True)

    def release_held(self) -> None:
        """Let every message on hold go (``hold_submissions``), and deliver it now.

        Released mail moves to the deferred queue, which the queue manager scans only every
        few minutes: ``postqueue -f`` asks it to deliver at once.
        """
        for instance in self.config.postfix.values():
            config = str(instance.config)
            self._quiet([str(self.programs.postsuper), "-c", config, "-H", "ALL"])
            self._quiet([str(self.programs.postqueue), "-c", config, "-f"])

    def wait_for_queues_empty(self, timeout: float = 10.0) -> None:
        """Wait until no message waits in any Postfix queue: all delivered (or bounced), or
        deferred after an attempt (its retry is minutes away: nothing more will move now).

        Two full passes must find every queue empty, so that a message moving from one
        instance to the other between two looks is not missed.
        """
        deadline = time.monotonic() + timeout
        empty_passes = 0
        while empty_passes < 2:
            busy = [name for name, count in self._queued().items() if count]
            empty_passes = 0 if busy else empty_passes + 1
            if busy and time.monotonic() >= deadline:
                raise TimeoutError(
                    f"Des messages attendent encore après {timeout:g} s dans la file de "
                    f"{', '.join(busy)} : lisez {self._log_names(busy)}."
                )
            if busy:
                time.sleep(0.005)  # queue files appear and vanish with no event to wait on

    def deliver(self, user_address: str, message: bytes, sender: str | None = None) -> None:
        """Put ``message`` straight into the mailbox of ``user_address`` (Dovecot LMTP).

        The envelope sender defaults to the address of the message's ``From:``.
        """
        user = user_by_address(user_address)
        if user is None:
            raise ValueError(f"« {user_address} » n’est pas une boîte du labo.")
        if sender is None:
            parsed = email.message_from_bytes(message)
            sender = email.utils.parseaddr(parsed.get("From", ""))[1]
        provider = PROVIDERS[user.domain]
        host, port = self.config.lmtp[provider.domain]
        with smtplib.LMTP(host, port, local_hostname=provider.host("mx").name) as lmtp:
            lmtp.sendmail(sender, [user_address], message)

    # -- internals ------------------------------------------------------------------------------

    def _queued(self) -> dict[str, int]:
        config = self.config
        counts: dict[str, int] = {}
        for domain, instance in config.postfix.items():
            queue = config.queue_directory(domain)
            waiting = {name: _files(queue / name) for name in (*QUEUES, "defer")}
            # A deferred message with a defer log had its attempt: it waits for a retry.
            tried = waiting["deferred"] & waiting["defer"]
            counts[instance.name] = sum(len(waiting[name]) for name in QUEUES) - len(tried)
        return counts

    def _log_names(self, names: list[str]) -> str:
        logs = {i.name: i.log for i in self.config.instances}
        return ", ".join(str(logs[name]) for name in names)

    def _run_all(self, steps: list[tuple[Instance, list[str]]], deadline: float) -> None:
        """Run start commands side by side; on failure, a French error naming the instance.

        Output goes to a file, not a pipe: the daemons inherit it and would keep a pipe open.
        """
        running = []
        for instance, command in steps:
            argv = [part.replace("{config}", str(instance.config)) for part in command]
            output = instance.log.with_suffix(".sortie")
            with output.open("a", encoding="utf-8") as out:
                process = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C", "TZ": "UTC"}
                    | ({"MAIL_CONFIG": str(instance.config)} if "postfix" in instance.name else {}),
                )
            running.append((instance, argv, output, process))
        failures = []
        for instance, argv, output, process in running:
            try:
                code = process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                failures.append(
                    f"{instance.name} : « {' '.join(argv)} » n’a pas rendu la main en "
                    f"{self.start_timeout:g} s ; lisez {instance.log}."
                )
                continue
            if code != 0:
                said = output.read_text(encoding="utf-8", errors="replace").strip()
                failures.append(
                    f"{instance.name} n’a pas démarré (« {' '.join(argv)} », code {code}) ; "
                    f"lisez {instance.log}" + (f" : {said}" if said else ".")
                )
        if failures:
            raise ReferenceServerError("\n".join(failures))

    def _quiet(self, command: list[str]) -> None:
        subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )

    def _wait_listening(self, deadline: float) -> None:
        """Connect to every listener until it answers; the time limit covers them all."""
        config = self.config
        for key, (address, port) in config.endpoints.items():
            while True:
                try:
                    with socket.create_connection((address, port), timeout=1.0):
                        break
                except OSError as error:
                    if time.monotonic() >= deadline:
                        instance = next(
                            i for i in config.instances if i.name == config.instance_of[key]
                        )
                        raise ReferenceServerError(
                            f"{instance.name} ne répond pas sur {address}:{port} "
                            f"({key[1]} de {key[0]}) : {error.strerror or error} ; "
                            f"lisez {instance.log}."
                        ) from error
                    time.sleep(0.01)  # a refused connection leaves nothing to wait on

    def _install_sigterm(self) -> None:
        """SIGTERM ends the process through ``SystemExit``, so ``stop`` runs as on Ctrl-C."""
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous_sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        self._sigterm_installed = True

    def _restore_sigterm(self) -> None:
        if self._sigterm_installed and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._previous_sigterm or signal.SIG_DFL)
            self._sigterm_installed = False


def _files(folder: Path) -> set[str]:
    """The queue ids (file names) under a queue folder and its hashed subfolders."""
    return {name for _, _, files in os.walk(folder) for name in files}


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _bare_config(root: Path) -> ReferenceConfig:
    """What ``stop`` needs when the configuration could not even be written."""
    empty = Instance("dovecot", root / "dovecot" / "dovecot.conf", root / "logs" / "dovecot.log")
    return ReferenceConfig(
        root=root,
        ca_file=root / "ca.pem",
        endpoints={},
        postfix={},
        dovecot=empty,
        mail_root=root / "mail",
        lmtp={},
    )
