"""Installing the reference servers: what a user reads when it cannot or did not work."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from labo.reference import install


@pytest.fixture
def dovecot_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(install.PACKAGES, "dovecot-pop3d", tmp_path / "absent")


@pytest.mark.usefixtures("dovecot_missing")
def test_without_root_the_error_says_to_run_make_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(install.os, "geteuid", lambda: 1000)
    with pytest.raises(install.InstallError) as raised:
        install.ensure_installed()
    assert "dovecot-pop3d" in str(raised.value)
    assert "«\u00a0make reference\u00a0»" in str(raised.value)


@pytest.mark.usefixtures("dovecot_missing")
def test_a_failed_apt_step_is_named_with_its_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def failing_update(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 100 if "update" in command else 0)

    monkeypatch.setattr(install.os, "geteuid", lambda: 0)
    monkeypatch.setattr(install.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(install.subprocess, "run", failing_update)
    with pytest.raises(install.InstallError) as raised:
        install.ensure_installed(log_dir=tmp_path)
    message = str(raised.value)
    assert "«\u00a0mise à jour de la liste des paquets\u00a0»" in message
    assert "code 100" in message
    assert str(tmp_path / "labo-reference-apt.log") in message
