"""Write every file the three private instances need into one temporary directory.

Two Postfix instances (one per provider, each on its own loopback address) and one Dovecot that
stores the mail of both. Nothing is read from or written to /etc: each program is pointed at its
own files (``postfix -c DIR``, ``dovecot -c FILE``). Nothing may leave loopback either: Postfix
does no DNS lookup, relays between the two providers by IP literal, and refuses every other
destination through the ``error`` transport.
"""

from __future__ import annotations

import grp
import os
import pwd
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import trustme

from labo.identity import OUTSIDER, PROVIDERS, SERVICES, USERS, Provider

#: Each provider's servers listen on their own loopback address, so each has its own identity.
ADDRESSES: dict[str, str] = {"example.com": "127.0.0.2", "example.org": "127.0.0.3"}

#: Where mail for the third party goes: a loopback address where nothing listens, so that, as in
#: the lab, its server is down: Postfix gets « Connection refused » and defers the message.
OUTSIDER_ADDRESS = "127.0.0.4"
OUTSIDER_DOMAIN = OUTSIDER.name.partition(".")[2]

#: Which program answers each service of ``labo.identity.SERVICES``.
POSTFIX_SERVICES = ("smtp", "submission", "submissions")
DOVECOT_SERVICES = ("pop3", "pop3s", "imap", "imaps")

#: Mailboxes belong to Debian's ``mail`` user: unprivileged, always present (Dovecot refuses 0).
MAIL_USER = "mail"

#: The bounce reason for any domain other than the two providers (ASCII: it goes into a DSN).
OUTSIDE = "5.7.1 destination hors du labo, aucun relais"

Endpoint = tuple[str, int]
EndpointKey = tuple[str, str]  # (provider domain, service name)


class PortTakenError(RuntimeError):
    """A listener's port is already in use (message in French, naming it)."""


@dataclass(frozen=True)
class Instance:
    """One server process tree: its name, the file that configures it and its log."""

    name: str  # "postfix-com", "postfix-org", "dovecot"
    config: Path  # Postfix: the config directory; Dovecot: dovecot.conf
    log: Path


@dataclass(frozen=True)
class ReferenceConfig:
    """Where everything was written, and which listener is where."""

    root: Path
    ca_file: Path
    endpoints: dict[EndpointKey, Endpoint]
    postfix: dict[str, Instance]  # by provider domain
    dovecot: Instance
    mail_root: Path
    lmtp: dict[str, Endpoint]  # by provider domain: Dovecot's LMTP, on the provider's address
    instance_of: dict[EndpointKey, str] = field(default_factory=dict)
    #: The closed port that stands for the third party's MX (``OUTSIDER``, port 25).
    outsider: Endpoint | None = None

    @property
    def instances(self) -> tuple[Instance, ...]:
        return (*self.postfix.values(), self.dovecot)

    def queue_directory(self, domain: str) -> Path:
        return self.postfix[domain].config.parent / "queue"


class PortPicker:
    """Free ports, all distinct: each stays bound until ``release``, so two picks on one
    address can never get the same port (binding to 0 then closing at once can)."""

    def __init__(self) -> None:
        self._held: list[socket.socket] = []

    def pick(self, address: str) -> int:
        sock = socket.socket()
        self._held.append(sock)
        sock.bind((address, 0))
        return int(sock.getsockname()[1])

    def release(self) -> None:
        for sock in self._held:
            sock.close()
        self._held.clear()


def check_free(endpoints: Mapping[EndpointKey, Endpoint]) -> None:
    """Fail at once, in French, if a chosen port is already taken (never wait on it)."""
    for (domain, service), (address, port) in endpoints.items():
        with socket.socket() as sock:
            try:
                sock.bind((address, port))
            except OSError as error:
                raise PortTakenError(
                    f"Le port {address}:{port} (service {service} de {domain}) est déjà pris "
                    f"({error.strerror}) : libérez-le ou laissez le labo choisir un port libre."
                ) from error


def choose_endpoints(
    picker: PortPicker, ports: Mapping[EndpointKey, int] | None = None
) -> dict[EndpointKey, Endpoint]:
    """Every (provider, service) on its provider's address, on a requested or free port."""
    ports = ports or {}
    return {
        (domain, service): (address, ports.get((domain, service)) or picker.pick(address))
        for domain, address in ADDRESSES.items()
        for service in SERVICES
    }


def write_config(
    root: Path,
    ports: Mapping[EndpointKey, int] | None = None,
    relays: Mapping[str, Endpoint] | None = None,
    *,
    hold_submissions: bool = False,
) -> ReferenceConfig:
    """Write certificates, two Postfix configurations and one Dovecot configuration in ``root``.

    ``relays`` says where the other provider's MTA sends mail for a domain (by default, that
    domain's Postfix on port 25): a recording proxy, so the hop between providers is recorded.
    With ``hold_submissions``, a message submitted on 587/465 waits on hold until released
    (``postsuper -H ALL``): the example runner releases it once the client has disconnected,
    so the relay never starts during the submission and transcripts keep one order.
    """
    root.chmod(0o755)  # Postfix and Dovecot drop privileges and must traverse it
    picker = PortPicker()
    try:
        endpoints = choose_endpoints(picker, ports)
        lmtp = {domain: (address, picker.pick(address)) for domain, address in ADDRESSES.items()}
        outsider = (OUTSIDER_ADDRESS, picker.pick(OUTSIDER_ADDRESS))  # released: stays closed
    finally:
        picker.release()
    logs = _mkdir(root / "logs")
    certs = _mkdir(root / "certs", 0o700)
    ca_file = _write_certificates(certs)
    mail_root = _mkdir(root / "mail")
    mail = pwd.getpwnam(MAIL_USER)
    os.chown(mail_root, mail.pw_uid, mail.pw_gid)
    dovecot_dir = _mkdir(root / "dovecot")
    run_dir = dovecot_dir / "run"  # Dovecot creates it with its own permissions
    postfix: dict[str, Instance] = {}
    for domain, provider in PROVIDERS.items():
        directory = _mkdir(root / f"postfix-{provider.key}" / "etc")
        _make_queue(directory.parent)
        relay_to = {
            other: (relays or {}).get(other) or endpoints[(other, "smtp")] for other in PROVIDERS
        }
        relay_to[OUTSIDER_DOMAIN] = outsider
        _write_postfix(
            directory, provider, endpoints, relay_to, lmtp[domain], run_dir, ca_file, certs, logs
        )
        (directory / "master.cf").write_text(
            _master_cf(provider, endpoints, hold=hold_submissions), encoding="utf-8"
        )
        _date_in_past(directory)
        postfix[domain] = Instance(
            f"postfix-{provider.key}", directory, logs / f"postfix-{provider.key}.log"
        )
    dovecot_conf = dovecot_dir / "dovecot.conf"
    _write_dovecot(dovecot_conf, endpoints, lmtp, run_dir, mail_root, mail, certs, logs)
    instance_of = {
        (domain, service): (postfix[domain].name if service in POSTFIX_SERVICES else "dovecot")
        for domain, service in endpoints
    }
    return ReferenceConfig(
        root=root,
        ca_file=ca_file,
        endpoints=endpoints,
        postfix=postfix,
        dovecot=Instance("dovecot", dovecot_conf, logs / "dovecot.log"),
        mail_root=mail_root,
        lmtp=lmtp,
        instance_of=instance_of,
        outsider=outsider,
    )


#: Postfix's queue layout, as /etc/postfix/postfix-files describes it: name → (group, mode).
_QUEUE_LAYOUT: dict[str, tuple[str | None, int]] = {
    **{
        name: (None, 0o700)
        for name in (
            "active",
            "bounce",
            "corrupt",
            "defer",
            "deferred",
            "flush",
            "hold",
            "incoming",
            "private",
            "saved",
            "trace",
        )
    },
    "maildrop": ("postdrop", 0o730),
    "public": ("postdrop", 0o710),
}


def _make_queue(instance: Path) -> None:
    """Create the queue and data directories that ``postfix start`` would create.

    The master daemon is started directly: Postfix's start script runs an integrity check
    (dozens of ``postconf``) and logs through ``postlog``, which waits for a log daemon that
    is not running yet; together, two seconds for what takes ten milliseconds.
    """
    owner = pwd.getpwnam("postfix")
    queue = _mkdir(instance / "queue")
    _mkdir(queue / "pid")
    for name, (group, mode) in _QUEUE_LAYOUT.items():
        path = _mkdir(queue / name, mode)
        os.chown(path, owner.pw_uid, grp.getgrnam(group).gr_gid if group else 0)
    data = _mkdir(instance / "data", 0o700)
    os.chown(data, owner.pw_uid, 0)


def _mkdir(path: Path, mode: int = 0o755) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    return path


def _write_certificates(certs: Path) -> Path:
    """A CA, and for each provider a certificate for all its host names and its address."""
    ca = trustme.CA(
        organization_name="Labo La messagerie (référence)", key_type=trustme.KeyType.ECDSA
    )
    ca_file = certs.parent / "ca.pem"
    ca.cert_pem.write_to_path(ca_file)
    for domain, provider in PROVIDERS.items():
        cert = ca.issue_cert(*provider.hostnames, ADDRESSES[domain])
        cert.private_key_pem.write_to_path(certs / f"{provider.key}.key")
        with (certs / f"{provider.key}.pem").open("wb") as chain:
            for blob in cert.cert_chain_pems:
                chain.write(blob.bytes())
    return ca_file


def _write_postfix(
    directory: Path,
    provider: Provider,
    endpoints: Mapping[EndpointKey, Endpoint],
    relay_to: Mapping[str, Endpoint],
    lmtp: Endpoint,
    dovecot_run: Path,
    ca_file: Path,
    certs: Path,
    logs: Path,
) -> None:
    domain = provider.domain
    instance = directory.parent
    address = ADDRESSES[domain]
    transport = "".join(
        f"{other} smtp:[{relay_to[other][0]}]:{relay_to[other][1]}\n"
        for other in (*PROVIDERS, OUTSIDER_DOMAIN)
        if other != domain
    )
    (directory / "transport").write_text(transport, encoding="ascii")
    mailboxes = "".join(f"{u.address} {u.login}\n" for u in USERS if u.domain == domain)
    (directory / "mailboxes").write_text(mailboxes, encoding="ascii")
    key, chain = certs / f"{provider.key}.key", certs / f"{provider.key}.pem"
    main = f"""\
# Private reference instance for {domain}: written by labo.reference.config, removed at stop.
compatibility_level = 3.6
queue_directory = {instance}/queue
data_directory = {instance}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {logs}/postfix-{provider.key}.log
maillog_file_prefixes = {logs}
myhostname = {provider.host("mx").name}
mydomain = {domain}
myorigin = $mydomain
mydestination =
local_recipient_maps =
inet_interfaces = all
inet_protocols = ipv4
mynetworks = {address}/32
biff = no
append_dot_mydomain = no
readme_directory = no
# Never leave loopback: no DNS, relays by IP literal only (example.net: a closed port, its
# server is down), everything else bounces.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_bind_address = {address}
transport_maps = texthash:{directory}/transport
default_transport = error:{OUTSIDE}
relay_transport = error:{OUTSIDE}
# Our domain is delivered to Dovecot by LMTP, on our address so Dovecot knows who we are.
virtual_mailbox_domains = {domain}
virtual_mailbox_maps = texthash:{directory}/mailboxes
virtual_transport = lmtp:inet:[{lmtp[0]}]:{lmtp[1]}
# A relay attempt gets a permanent refusal (Debian's default defer_... answers 454).
smtpd_relay_restrictions = reject_unauth_destination
smtpd_tls_chain_files = {key}, {chain}
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtp_tls_security_level = may
smtp_tls_CAfile = {ca_file}
# One connection per delivery, closed at once: a cached one would end seconds later.
smtp_connection_cache_on_demand = no
smtpd_sasl_type = dovecot
smtpd_sasl_path = {dovecot_run}/auth-postfix
smtpd_sasl_auth_enable = no
delay_warning_time = 0
"""
    (directory / "main.cf").write_text(main, encoding="utf-8")


def _date_in_past(directory: Path) -> None:
    """Postfix waits (300 ms at a time) until main.cf is older than its start: a file written
    "now" costs two seconds. Dating the files a little earlier changes nothing else."""
    past = time.time() - 10
    for name in ("main.cf", "master.cf", "transport", "mailboxes"):
        os.utime(directory / name, (past, past))


#: Debian's master.cf, without chroot (the queue is private) and without the listeners.
_MASTER_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/$service_name
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def _master_cf(
    provider: Provider, endpoints: Mapping[EndpointKey, Endpoint], *, hold: bool = False
) -> str:
    """The three listeners in the style of Debian's commented submission/smtps template."""
    held = "  -o smtpd_end_of_data_restrictions=check_client_access,static:HOLD\n" if hold else ""

    def listen(service: str) -> str:
        address, port = endpoints[(provider.domain, service)]
        return f"{address}:{port}"

    msa = provider.host("smtp").name
    return f"""\
{listen("smtp")} inet  n       -       n       -       -       smtpd
{listen("submission")} inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix/submission
  -o myhostname={msa}
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_reject_unlisted_recipient=no
  -o smtpd_recipient_restrictions=
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o milter_macro_daemon_name=ORIGINATING
{held}{listen("submissions")} inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix/submissions
  -o myhostname={msa}
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_reject_unlisted_recipient=no
  -o smtpd_recipient_restrictions=
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o milter_macro_daemon_name=ORIGINATING
{held}{_MASTER_SERVICES}"""


#: The special-use folders (RFC 6154) of Debian's ``15-mailboxes.conf``, created and subscribed
#: at first login like the lab's: a mail program finds its Sent folder by the ``\\Sent``
#: attribute, which Dovecot announces only for folders declared here.
_MAILBOXES = """\
namespace inbox {
  inbox = yes
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
}
"""


def _write_dovecot(
    conf: Path,
    endpoints: Mapping[EndpointKey, Endpoint],
    lmtp: Mapping[str, Endpoint],
    run_dir: Path,
    mail_root: Path,
    mail: pwd.struct_passwd,
    certs: Path,
    logs: Path,
) -> None:
    users = conf.parent / "users"
    users.write_text(
        "".join(
            f"{u.login}:{{PLAIN}}{u.password}:{mail.pw_uid}:{mail.pw_gid}::"
            f"{mail_root}/{u.domain}/{u.address.partition('@')[0]}::\n"
            for u in USERS
        ),
        encoding="utf-8",
    )
    users.chmod(0o640)  # read by Dovecot's auth process, which runs as "dovecot"
    os.chown(users, 0, grp.getgrnam("dovecot").gr_gid)

    def listeners(protocol: str, plain: str, implicit: str) -> str:
        # The built-in listeners (143, 993, 110, 995 on every address) are switched off.
        blocks = [f"  inet_listener {plain} {{\n    port = 0\n  }}\n"]
        blocks.append(f"  inet_listener {implicit} {{\n    port = 0\n  }}\n")
        for domain, provider in PROVIDERS.items():
            for service, tls in ((plain, "no"), (implicit, "yes")):
                address, port = endpoints[(domain, service)]
                blocks.append(
                    f"  inet_listener {service}_{provider.key} {{\n"
                    f"    address = {address}\n    port = {port}\n    ssl = {tls}\n  }}\n"
                )
        return f"service {protocol}-login {{\n{''.join(blocks)}}}\n"

    com = PROVIDERS["example.com"].key
    # Per provider address: its certificate, and its store's name in LMTP's Received: field.
    local_blocks = "".join(
        f"local {ADDRESSES[domain]} {{\n"
        f"  ssl_cert = <{certs}/{provider.key}.pem\n  ssl_key = <{certs}/{provider.key}.key\n"
        f"  hostname = {provider.host('imap').name}\n}}\n"
        for domain, provider in PROVIDERS.items()
    )
    lmtp_listeners = "".join(
        f"  inet_listener lmtp_{provider.key} {{\n"
        f"    address = {lmtp[domain][0]}\n    port = {lmtp[domain][1]}\n  }}\n"
        for domain, provider in PROVIDERS.items()
    )
    text = f"""\
# Private reference Dovecot: written by labo.reference.config, removed at stop.
protocols = imap pop3 lmtp
base_dir = {run_dir}
state_dir = {conf.parent}/state
instance_name = labo-reference
log_path = {logs}/dovecot.log
info_log_path = {logs}/dovecot.log
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = {mail.pw_uid}
last_valid_uid = {mail.pw_uid}
first_valid_gid = {mail.pw_gid}
last_valid_gid = {mail.pw_gid}
mail_location = maildir:~/Maildir
# IDLE's « * OK Still here » comes at a time derived from the wall clock and the client's
# address, seconds or minutes after IDLE: far apart, so no transcript catches one by chance.
imap_idle_notify_interval = 30 mins
{_MAILBOXES}ssl = yes
ssl_min_protocol = TLSv1.2
ssl_cert = <{certs}/{com}.pem
ssl_key = <{certs}/{com}.key
{local_blocks}auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {users}
}}
{listeners("imap", "imap", "imaps")}{listeners("pop3", "pop3", "pop3s")}service lmtp {{
{lmtp_listeners}}}
service auth {{
  unix_listener auth-postfix {{
    user = postfix
    group = postfix
    mode = 0600
  }}
}}
"""
    conf.write_text(text, encoding="utf-8")
