#!/usr/bin/python3
"""A real SMTP server for the email notifier tests (Debian python3-aiosmtpd).

Requires STARTTLS before AUTH (aiosmtpd's default) and AUTH before MAIL.
Every accepted message is written to OUTDIR/<n>.json with the envelope,
the raw message and its parsed parts (Python's email package). Prints
"ready <port>" on stdout once listening; stops on SIGTERM.

usage: smtp_server.py PORT CERT KEY OUTDIR USER PASSWORD
"""
import email
import email.policy
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    port, cert, key, outdir, user, password = sys.argv[1:7]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    counter = {"n": 0}
    lock = threading.Lock()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        # handled=False: let aiosmtpd answer 535 itself on a wrong password.
        return AuthResult(success=ok, handled=False)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            raw = envelope.content.decode("utf-8", "replace")
            msg = email.message_from_string(raw, policy=email.policy.default)
            parts = []
            for part in msg.walk():
                if part.is_multipart():
                    continue
                parts.append({"content_type": part.get_content_type(),
                              "charset": part.get_content_charset(),
                              "body": part.get_content()})
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "tls": session.ssl is not None,
                "authenticated": session.authenticated,
                "headers": {k: str(v) for k, v in msg.items()},
                "content_type": msg.get_content_type(),
                "parts": parts,
                "raw": raw,
            }
            with lock:
                counter["n"] += 1
                path = os.path.join(outdir, "%d.json" % counter["n"])
            with open(path + ".tmp", "w") as f:
                json.dump(record, f)
            os.rename(path + ".tmp", path)
            return "250 2.0.0 queued as %d" % counter["n"]

    controller = Controller(Handler(), hostname="127.0.0.1", port=int(port),
                            tls_context=context, require_starttls=True,
                            auth_require_tls=True, auth_required=True,
                            authenticator=authenticator)
    controller.start()
    print("ready %d" % controller.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
