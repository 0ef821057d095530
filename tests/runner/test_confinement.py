"""Hostile examples on one worker: none of them reaches the next example, the project or the build.

Each test's example runs on a single-worker pool, then an innocent example runs after it: it must
find the same state as on a fresh worker (issue 14, findings 1, 3, 4 and 10).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from labo.runner.example import resolve
from labo.runner.isolation import NAMESPACES, available
from labo.runner.pool import WorkerPool
from labo.runner.result import RunResult

LIMIT_S = 10.0
BUILD_SECRET = "LABO_TEST_SECRET_DE_LA_CONSTRUCTION"

#: Reports, in its transcript-free output, whether the guard refused a foreign name.
GUARD_PROBE = '''"""Vérifie la garde."""
import socket
from labo import netmap
try:
    socket.getaddrinfo("ailleurs.invalid", 25)
except netmap.LabNameRefused:
    pass
else:
    raise AssertionError("garde absente")
'''


def _example(root: Path, name: str, body: str) -> str:
    path = root / "examples" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'"""Exemple {name}."""\n{body}', encoding="utf-8")
    return f"examples/{name}"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("projet")
    (root / "docs").mkdir()
    (root / "site").mkdir()
    return root


@pytest.fixture(scope="module")
def pool(project: Path) -> Iterator[WorkerPool]:
    os.environ[BUILD_SECRET] = "1"
    started = WorkerPool(1, [project, project / "site"])
    try:
        yield started
    finally:
        started.close()
        del os.environ[BUILD_SECRET]


def run(pool: WorkerPool, project: Path, name: str, body: str) -> RunResult:
    reference = _example(project, name, body)
    return pool.submit(resolve(project, reference), LIMIT_S).result()


def test_uninstalling_the_guard_fails_and_the_next_example_is_guarded(
    pool: WorkerPool, project: Path
) -> None:
    hostile = run(pool, project, "sans_garde.py", "from labo import netmap\nnetmap.uninstall()\n")
    after = run(pool, project, "garde.py", GUARD_PROBE)
    assert "a désactivé ou modifié la garde réseau" in (hostile.error or "")
    assert after.ok, after.error


def test_a_daemon_thread_left_running_fails_the_example_naming_it(
    pool: WorkerPool, project: Path
) -> None:
    body = (
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(30,), name='espion', daemon=True).start()\n"
    )
    result = run(pool, project, "espion.py", body)
    assert "fils d'exécution actifs (espion)" in (result.error or "")


def test_a_process_left_running_fails_the_example_and_is_killed(
    pool: WorkerPool, project: Path
) -> None:
    body = "import subprocess\nprint(subprocess.Popen(['sleep', '91.25']).pid)\n"
    result = run(pool, project, "orphelin.py", body)
    assert "a laissé des processus actifs (sleep 91.25" in (result.error or "")
    assert not any(
        b"sleep\x0091.25" in (entry / "cmdline").read_bytes()
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and (entry / "cmdline").exists()
    )


def test_a_forked_child_that_left_the_session_is_killed_too(
    pool: WorkerPool, project: Path
) -> None:
    body = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(92.5)\n"
        "    os._exit(0)\n"
        "os.wait()\n"
    )
    result = run(pool, project, "fuyard.py", body)
    assert "a laissé des processus actifs" in (result.error or "")


def test_the_build_environment_is_not_visible_to_examples(pool: WorkerPool, project: Path) -> None:
    body = (
        "import os\n"
        f"assert {BUILD_SECRET!r} not in os.environ\n"
        f"assert b{BUILD_SECRET!r} not in open('/proc/self/environ', 'rb').read()\n"
    )
    result = run(pool, project, "secret.py", body)
    assert result.ok, result.error


def test_each_example_starts_in_a_fresh_empty_directory(pool: WorkerPool, project: Path) -> None:
    body = "import os\nassert os.listdir('.') == []\nopen('trace', 'w').close()\n"
    first = run(pool, project, "trace1.py", body)
    second = run(pool, project, "trace2.py", body)
    assert (first.ok, second.ok) == (True, True), (first.error, second.error)


def test_the_approved_transcript_is_the_one_read_before_the_example_ran(
    pool: WorkerPool, project: Path
) -> None:
    approved = project / "examples" / "soi.transcription.txt"
    approved.write_text("avant\n", encoding="utf-8")
    body = f"open({str(approved)!r}, 'w').write('')\n"
    result = run(pool, project, "soi.py", body)
    assert result.approved == "avant\n"


@pytest.mark.skipif(not available(), reason="namespaces Linux indisponibles ici")
@pytest.mark.parametrize("target", ["examples/intrus.txt", "docs/intrus.md", "site/intrus.html"])
def test_an_example_cannot_write_into_the_project_or_the_site(
    pool: WorkerPool, project: Path, target: str
) -> None:
    body = f"open({str(project / target)!r}, 'w').write('intrus')\n"
    result = run(pool, project, "ecrit.py", body)
    assert "Read-only file system" in (result.error or "")
    assert not (project / target).exists()


@pytest.mark.skipif(not available(), reason="namespaces Linux indisponibles ici")
def test_the_pool_says_which_isolation_was_in_force(pool: WorkerPool, project: Path) -> None:
    run(pool, project, "rien.py", "pass\n")
    assert pool.isolation() == NAMESPACES


def test_a_huge_output_is_cut_in_the_message(pool: WorkerPool, project: Path) -> None:
    body = "print('x' * 3_000_000)\nraise SystemExit(1)\n"
    result = run(pool, project, "bavard.py", body)
    assert len(result.error or "") < 50_000
    assert "… tronqué (3\u202f000\u202f001 caractères au total)" in (result.error or "")


@pytest.mark.skipif(not available(), reason="namespaces Linux indisponibles ici")
def test_a_subprocess_cannot_reach_a_loopback_listener_outside_the_lab(
    pool: WorkerPool, project: Path
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        body = (
            "import subprocess, sys\n"
            "code = f'import socket; socket.create_connection((\"127.0.0.1\", {port}), 2)'\n"
            "assert subprocess.run([sys.executable, '-c', code]).returncode != 0\n"
        ).replace("{port}", str(port))
        result = run(pool, project, "detour.py", body)
    assert result.ok, result.error


#: Connects with libc's own connect(), below Python's socket module and its audit hooks.
CTYPES_CONNECT = """
import ctypes, socket, struct
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
address = struct.pack("!HH4s8x", socket.AF_INET, PORT, socket.inet_aton("127.0.0.1"))
address = struct.pack("=H", socket.AF_INET) + address[2:]
result = libc.connect(fd, address, len(address))
libc.close(fd)
assert result != 0, "connect() a joint un serveur hors du labo"
"""


@pytest.mark.skipif(not available(), reason="namespaces Linux indisponibles ici")
def test_a_ctypes_connect_cannot_reach_a_loopback_listener_outside_the_lab(
    pool: WorkerPool, project: Path
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        result = run(pool, project, "ctypes_connect.py", CTYPES_CONNECT.replace("PORT", str(port)))
    assert result.ok, result.error


@pytest.fixture
def unix_listener(tmp_path: Path) -> Iterator[str]:
    """The path of a unix socket listening in this test's (shared) temporary directory."""
    path = str(tmp_path / "ecoute.sock")
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(path)
        listener.listen()
        yield path


@pytest.mark.skipif(not available(), reason="namespaces Linux indisponibles ici")
def test_a_unix_socket_outside_the_project_is_out_of_reach(
    pool: WorkerPool, project: Path, unix_listener: str
) -> None:
    body = (
        "import socket\n"
        "with socket.socket(socket.AF_UNIX) as client:\n"
        f"    assert client.connect_ex({unix_listener!r}) != 0, 'socket unix atteinte'\n"
    )
    result = run(pool, project, "unix_socket.py", body)
    assert result.ok, result.error


@pytest.mark.skipif(not available(), reason="namespaces Linux indisponibles ici")
def test_a_subprocess_cannot_reach_a_unix_socket_in_the_shared_temporary_directory(
    pool: WorkerPool, project: Path, unix_listener: str
) -> None:
    code = f"import socket; socket.socket(socket.AF_UNIX).connect({unix_listener!r})"
    body = (
        "import subprocess, sys\n"
        f"assert subprocess.run([sys.executable, '-c', {code!r}]).returncode != 0\n"
    )
    result = run(pool, project, "unix_detour.py", body)
    assert result.ok, result.error
