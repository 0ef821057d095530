"""Without any Chromium the browser tests are skipped, and say why in French."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import browser_session
import pytest


def test_browser_tests_skip_with_a_french_reason_without_chromium(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setattr(browser_session, "DISTRIBUTION_CHROMIUM", str(tmp_path / "chromium"))
    monkeypatch.setattr(browser_session.shutil, "which", lambda name: None)
    playwright = SimpleNamespace(chromium=SimpleNamespace(executable_path=str(tmp_path / "pw")))
    with pytest.raises(pytest.skip.Exception, match="aucun Chromium sur cette machine"):
        browser_session.chromium_executable(playwright)  # type: ignore[arg-type]
