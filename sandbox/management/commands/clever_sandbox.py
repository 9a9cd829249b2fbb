"""Serve the Clever sandbox alone, for another app or a second terminal."""

import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.servers.basehttp import WSGIServer, run

from sandbox import conf
from sandbox.roster import RosterError
from sandbox.standalone import SandboxHandler
from sandbox.state import get_sandbox
from sandbox.threaded import NoDelayMixin
from sandbox.wire import FaultRequestHandler

DEFAULT_ADDRPORT = "127.0.0.1:8100"
ADDRPORT_RE = re.compile(r"^(?:(?P<host>\[[0-9a-fA-F:]+\]|[\w.-]+):)?(?P<port>\d+)$")
SAMPLE_USERS = 3  # per user type, in the start-up message


class SandboxServer(NoDelayMixin, WSGIServer):
    # Django's development server queues 10 connections; a product's many workers (or a
    # load check) reach Clever at once, and a refused connection waits seconds to retry.
    request_queue_size = 256

    def __init__(self, server_address, handler_class, *args, **kwargs):
        # Django's run() names its own request handler; this one can also reset a connection.
        super().__init__(server_address, FaultRequestHandler, *args, **kwargs)


class Command(BaseCommand):
    help = (
        "Serve the Clever sandbox alone (threaded) at /sandbox/clever/, whether or not CLEVER_SANDBOX is on. "
        "Point a product at it with CLEVER_SANDBOX_URL=http://ADDRPORT/sandbox/clever."
    )
    # The checks refuse a sandbox in production settings; this command is a development tool
    # that must also run beside a product configured for the real Clever.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "addrport",
            nargs="?",
            default=DEFAULT_ADDRPORT,
            help=f"Address and port to listen on (default {DEFAULT_ADDRPORT}).",
        )
        parser.add_argument(
            "--data", help="A roster JSON file to serve (default: CLEVER_SANDBOX_DATA, else the demo data)."
        )
        parser.add_argument(
            "--redirect-uri",
            action="append",
            dest="redirect_uris",
            help="A redirect URI the app registered (repeat for more; the first is primary). "
            "Default: CLEVER_SANDBOX_REDIRECT_URIS.",
        )

    def handle(self, *args, **options):
        match = ADDRPORT_RE.match(options["addrport"])
        if not match:
            raise CommandError(f"{options['addrport']!r} is not a port or address:port.")
        host = match["host"] or "127.0.0.1"
        ipv6 = host.startswith("[")
        addr, port = host.strip("[]"), int(match["port"])
        sandbox = get_sandbox()
        sandbox.configure(data_path=options["data"], redirect_uris=options["redirect_uris"])
        try:
            sandbox.reset()
        except RosterError as exc:
            raise CommandError(str(exc)) from None
        self._settings_for_local_http(addr)

        def on_bind(bound_port):
            self._describe(sandbox, f"{host}:{bound_port}")

        try:
            run(addr, port, SandboxHandler(), ipv6=ipv6, threading=True, on_bind=on_bind, server_cls=SandboxServer)
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    def _settings_for_local_http(self, addr: str) -> None:
        # Requests name this address in their Host header; a settings file for the real
        # Clever may not list it, and this server answers nothing else.
        for name in (addr, "localhost", "127.0.0.1", "[::1]"):
            if name not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
                settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, name]
        # This server speaks plain HTTP on a local port: a production settings file's
        # HTTPS redirect would send every client to a port nothing listens on.
        settings.SECURE_SSL_REDIRECT = False

    def _describe(self, sandbox, hostport: str) -> None:
        base = f"http://{hostport}/sandbox/clever"
        client_id, _secret = conf.client_credentials()
        write = self.stdout.write
        write(self.style.SUCCESS(f"Clever sandbox listening on {base}/"))
        write(f"  roster:        {sandbox.data_path}")
        write(f"  client id:     {client_id}")
        uris = sandbox.redirect_uris()
        write(f"  redirect URIs: {', '.join(uris) if uris else f'any local or allowed host + {conf.CALLBACK_PATH}'}")
        write(f"  point a product at it with CLEVER_SANDBOX_URL={base}")
        write("  users to try:")
        users = sandbox.users()
        for user_type in ("teacher", "student", "school_admin", "district_admin"):
            for library in (False, True):
                people = [user for user in users if user["type"] == user_type and user["library"] == library]
                for user in people[:SAMPLE_USERS]:
                    where = "Clever Library" if library else f"district {user['district']}"
                    write(f"    {user_type:<15} {user['id']}  {user['name']} ({where})")
        write("Quit with CONTROL-C.")
        self.stdout.flush()
