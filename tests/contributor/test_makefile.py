"""The Makefile a newcomer meets first: help, Python version, a taken port."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from conftest import run_make

NB = "\u00a0"


def test_make_alone_prints_the_french_help(make_project: Path) -> None:
    result = run_make(make_project)
    assert result.returncode == 0
    assert "make serve" in result.stdout
    assert "make distclean" in result.stdout
    assert "efface aussi l’environnement .venv" in result.stdout


def test_an_old_python_stops_with_the_version_needed_and_how_to_choose(
    make_project: Path, tmp_path: Path
) -> None:
    old = tmp_path / "python3.10"
    old.write_text('#!/bin/sh\necho "3.10 ancien"\n', encoding="utf-8")
    old.chmod(0o755)
    shutil.rmtree(make_project / ".venv")
    result = run_make(make_project, "test", f"PYTHON={old}")
    assert result.returncode != 0
    assert f"Python 3.10{NB}; ce projet demande Python ≥ 3.11" in result.stderr
    assert "make PYTHON=python3.12" in result.stderr
    assert not (make_project / ".venv").exists()


def test_a_missing_python_is_named_in_french(make_project: Path) -> None:
    result = run_make(make_project, "lint", "PYTHON=pas-de-python-ici")
    assert result.returncode != 0
    assert f"Python introuvable{NB}: «{NB}pas-de-python-ici{NB}»" in result.stderr


def test_serve_on_a_taken_port_says_so_without_a_traceback(make_project: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_make(make_project, "serve", f"PORT={port}")
    assert result.returncode != 0
    assert f"Le port {port} est déjà pris" in result.stderr
    assert "Traceback" not in result.stderr
