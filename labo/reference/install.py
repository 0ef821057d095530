"""Find the Postfix and Dovecot programs, and install the missing Debian packages through apt.

The reference servers are real packages, not Python dependencies: they come from the system's
package manager. Installing them must start no system service (Debian's ``policy-rc.d`` in
containers, and Postfix preseeded to "No configuration"), since the lab runs private instances.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Debian package → a file it installs that proves it is there.
PACKAGES: dict[str, Path] = {
    "postfix": Path("/usr/sbin/postfix"),
    "dovecot-imapd": Path("/usr/lib/dovecot/imap"),
    "dovecot-pop3d": Path("/usr/lib/dovecot/pop3"),
    "dovecot-lmtpd": Path("/usr/lib/dovecot/lmtp"),
}

#: Postfix asks what to configure; "No configuration" writes no /etc/postfix/main.cf.
DEBCONF = "postfix postfix/main_mailer_type select No configuration\n"


class InstallError(RuntimeError):
    """The reference servers are missing and cannot be installed here (message in French)."""


@dataclass(frozen=True)
class Programs:
    """Where the programs the instances need live."""

    postfix: Path = Path("/usr/sbin/postfix")
    postfix_master: Path = Path("/usr/lib/postfix/sbin/master")
    postsuper: Path = Path("/usr/sbin/postsuper")
    postqueue: Path = Path("/usr/sbin/postqueue")
    dovecot: Path = Path("/usr/sbin/dovecot")
    doveadm: Path = Path("/usr/bin/doveadm")


def missing_packages() -> list[str]:
    """The Debian packages of the reference servers that are not installed."""
    return [name for name, marker in PACKAGES.items() if not marker.exists()]


def is_installed() -> bool:
    return not missing_packages()


def ensure_installed(log_dir: Path | None = None) -> Programs:
    """Return the programs, installing the missing packages first when root with apt-get."""
    missing = missing_packages()
    if not missing:
        return Programs()
    apt_get = shutil.which("apt-get")
    if os.geteuid() != 0 or apt_get is None:
        raise InstallError(
            f"Postfix et Dovecot manquent ({', '.join(missing)}). Installez-les avec "
            "« make reference » en tant que root sur Debian ou Ubuntu, ou à la main : "
            f"« apt-get install --no-install-recommends {' '.join(PACKAGES)} »."
        )
    log = (log_dir or Path(tempfile.gettempdir())) / "labo-reference-apt.log"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps: list[tuple[str, list[str], str | None]] = [
        ("préréglage de debconf", ["debconf-set-selections"], DEBCONF),
        ("mise à jour de la liste des paquets", [apt_get, "update", "-q"], None),
        (
            "installation de " + ", ".join(missing),
            [apt_get, "install", "-y", "-q", "--no-install-recommends", *missing],
            None,
        ),
    ]
    with log.open("w", encoding="utf-8") as out:
        for step, command, stdin in steps:
            out.write(f"$ {' '.join(command)}\n")
            out.flush()
            result = subprocess.run(
                command, input=stdin, text=True, stdout=out, stderr=subprocess.STDOUT, env=env
            )
            if result.returncode != 0:
                raise InstallError(
                    f"Échec de l’étape « {step} » (code {result.returncode}) : "
                    f"lisez le journal {log}."
                )
    still_missing = missing_packages()
    if still_missing:
        raise InstallError(
            f"apt-get a terminé, mais il manque encore {', '.join(still_missing)} : "
            f"lisez le journal {log}."
        )
    return Programs()
