"""The running reference instances described in JSON, for the example workers that use them.

The instances are started once by the process that runs the examples; each worker (a separate
process, ``labo.runner.worker``) gets this description in its settings and attaches to them.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from labo.reference.config import Instance, ReferenceConfig
from labo.reference.install import Programs
from labo.reference.servers import ReferenceServers


def describe(servers: ReferenceServers, relays: dict[str, tuple[str, int]]) -> dict[str, Any]:
    """What a worker needs: the configuration, the programs, and where relays are expected."""
    config = servers.config
    return {
        "root": str(config.root),
        "ca_file": str(config.ca_file),
        "endpoints": [[d, s, h, p] for (d, s), (h, p) in config.endpoints.items()],
        "postfix": {domain: _instance(i) for domain, i in config.postfix.items()},
        "dovecot": _instance(config.dovecot),
        "mail_root": str(config.mail_root),
        "lmtp": {domain: list(endpoint) for domain, endpoint in config.lmtp.items()},
        "instance_of": [[d, s, name] for (d, s), name in config.instance_of.items()],
        "programs": {name: str(path) for name, path in asdict(servers.programs).items()},
        "relays": {domain: list(endpoint) for domain, endpoint in relays.items()},
        "outsider": list(config.outsider) if config.outsider else None,
    }


def attach(data: dict[str, Any]) -> tuple[ReferenceServers, dict[str, tuple[str, int]]]:
    """The instances ``data`` describes, attached (never stopped from here), and the relays."""
    config = ReferenceConfig(
        root=Path(data["root"]),
        ca_file=Path(data["ca_file"]),
        endpoints={(d, s): (h, int(p)) for d, s, h, p in data["endpoints"]},
        postfix={domain: _from_instance(i) for domain, i in data["postfix"].items()},
        dovecot=_from_instance(data["dovecot"]),
        mail_root=Path(data["mail_root"]),
        lmtp={domain: (h, int(p)) for domain, (h, p) in data["lmtp"].items()},
        instance_of={(d, s): name for d, s, name in data["instance_of"]},
        outsider=(data["outsider"][0], int(data["outsider"][1])) if data["outsider"] else None,
    )
    programs = Programs(**{name: Path(path) for name, path in data["programs"].items()})
    relays = {domain: (h, int(p)) for domain, (h, p) in data["relays"].items()}
    return ReferenceServers.attached(config, programs), relays


def _instance(instance: Instance) -> dict[str, str]:
    return {"name": instance.name, "config": str(instance.config), "log": str(instance.log)}


def _from_instance(data: dict[str, str]) -> Instance:
    return Instance(data["name"], Path(data["config"]), Path(data["log"]))
