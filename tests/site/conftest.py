"""Shared setup for the site tests: the site is built once per run, as a deployment builds it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from shared_site import shared_site
from site_build import REPO
from site_config import load_config


@pytest.fixture(scope="session")
def config() -> dict[str, Any]:
    return load_config(REPO / "mkdocs.yml")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's site, built once per run for every worker (``shared_site``)."""
    return shared_site(tmp_path_factory)
