"""A small IMAP4rev1 server on 127.0.0.1 over TLS, speaking what `advocacy.inbound.imap` uses (and checking it).

CAPABILITY, LOGIN, SELECT, UID SEARCH (ALL, UNSEEN, UNKEYWORD), UID FETCH (BODY.PEEK[]), UID STORE (+FLAGS),
NOOP and LOGOUT. Anything else is answered BAD, so a client speaking outside that subset fails the test.
"""

from __future__ import annotations

import ipaddress
import re
import socketserver
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\(|\)|[^\s()]+')


def self_signed(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1, written as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    # OpenSSL checks the dates against the real clock, which time_machine does not move: a window that does not
    # depend on `datetime.now` is valid under any frozen or shifted test clock.
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
            .not_valid_after(datetime(2099, 12, 31, tzinfo=UTC))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "imap-cert.pem", folder / "imap-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Stored:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class Mailbox:
    user: str
    password: str
    keywords: bool = True  # whether clients may set their own flags (PERMANENTFLAGS \*)
    fail_store: bool = False
    messages: list[Stored] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    def add(self, raw: bytes, *flags: str) -> int:
        uid = (self.messages[-1].uid if self.messages else 100) + 1
        self.messages.append(Stored(uid, raw, set(flags)))
        return uid


def _unquote(token: str) -> str:
    if token.startswith('"') and token.endswith('"'):
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def send(self, line: bytes | str) -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def handle(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1] fake IMAP ready")
        self.authed = self.selected = False
        while line := self.rfile.readline():
            tokens = _TOKEN.findall(line.decode("utf-8").rstrip("\r\n"))
            if len(tokens) < 2:
                self.send("* BAD empty command")
                continue
            tag, command, args = tokens[0], tokens[1].upper(), tokens[2:]
            if command == "UID" and args:
                command, args = f"UID {args[0].upper()}", args[1:]
            self.server.mailbox.commands.append(" ".join([command, *(a for a in args if command != "LOGIN")]))
            if command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            self.send(f"{tag} {self._run(command, args)}")

    def _run(self, command: str, args: list[str]) -> str:
        """Carry out one command; the tagged completion (OK, NO or BAD) it ends with."""
        box = self.server.mailbox
        if command == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1")
        elif command == "LOGIN":
            self.authed = len(args) == 2 and (_unquote(args[0]), _unquote(args[1])) == (box.user, box.password)
            if not self.authed:
                return "NO [AUTHENTICATIONFAILED] invalid credentials"
        elif command != "NOOP" and not self.authed:
            return "BAD log in first"
        elif command == "SELECT":
            return self._select(box, args)
        elif command != "NOOP" and not self.selected:
            return "BAD select a mailbox first"
        elif command == "UID SEARCH":
            self.send("* SEARCH" + "".join(f" {m.uid}" for m in box.messages if self._matches(m, args)))
        elif command == "UID FETCH" and len(args) >= 2 and args[1:] == ["(", "BODY.PEEK[]", ")"]:
            for seq, m in enumerate(box.messages, 1):
                if str(m.uid) == args[0]:
                    self.wfile.write(f"* {seq} FETCH (UID {m.uid} BODY[] {{{len(m.raw)}}}\r\n".encode()
                                     + m.raw + b")\r\n")
        elif command == "UID STORE" and len(args) >= 3 and args[1].upper() == "+FLAGS":
            return self._store(box, args)
        elif command != "NOOP":
            return f"BAD unsupported command {command}"
        return f"OK {command} completed"

    def _select(self, box: Mailbox, args: list[str]) -> str:
        if _unquote(args[0]) != "INBOX":
            return "NO no such mailbox"
        self.selected = True
        self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
        self.send(f"* {len(box.messages)} EXISTS")
        self.send("* 0 RECENT")
        self.send("* OK [UIDVALIDITY 7] UIDs valid")
        permanent = "\\Seen \\Flagged \\*" if box.keywords else "\\Seen \\Flagged"
        self.send(f"* OK [PERMANENTFLAGS ({permanent})] flags")
        return "OK [READ-WRITE] SELECT completed"

    def _store(self, box: Mailbox, args: list[str]) -> str:
        if box.fail_store:
            return "NO [SERVERBUG] store failed"
        flags = [a for a in args[2:] if a not in ("(", ")")]
        if not box.keywords and any(not f.startswith("\\") for f in flags):
            return "NO keywords are not allowed here"
        for seq, m in enumerate(box.messages, 1):
            if str(m.uid) == args[0]:
                m.flags.update(flags)
                self.send(f"* {seq} FETCH (UID {m.uid} FLAGS ({' '.join(sorted(m.flags))}))")
        return "OK UID STORE completed"

    @staticmethod
    def _matches(message: Stored, criteria: list[str]) -> bool:
        words = [c.upper() for c in criteria]
        if words == ["ALL"]:
            return True
        if words == ["UNSEEN"]:
            return "\\Seen" not in message.flags
        if len(criteria) == 2 and words[0] == "UNKEYWORD":
            return criteria[1] not in message.flags
        raise ValueError(f"unsupported search {criteria}")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mailbox: Mailbox, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mailbox = mailbox
        self.context = context

    def get_request(self):  # type: ignore[no-untyped-def]
        sock, address = super().get_request()
        return self.context.wrap_socket(sock, server_side=True), address


class ImapServer:
    def __init__(self, mailbox: Mailbox, cert: Path, key: Path) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self._server = _Server(mailbox, context)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def __enter__(self) -> ImapServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
