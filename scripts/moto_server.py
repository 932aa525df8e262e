"""Serves moto with every request applied atomically, as DynamoDB applies them.

moto's own server handles requests on several threads without a lock around its backends, so two
concurrent UpdateItem ADDs can read the same value and one increment is lost (seen in the
contract suite's counter case). Real DynamoDB never does that. Connections are still served on
threads; only the application calls are serialized.

JWKS requests (GET /<pool>/.well-known/jwks.json) are sent to moto's Cognito.

Usage: python moto_server.py HOST PORT
"""

import os
import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    inner = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def app(environ, start_response):
        # A JWKS fetch carries no AWS signature from which moto could tell the service (the
        # real issuer URL names it by host, which moto's dispatcher ignores): name it as a
        # signature's credential scope would.
        if environ.get("PATH_INFO", "").endswith("/.well-known/jwks.json"):
            environ["HTTP_AUTHORIZATION"] = (
                "AWS4-HMAC-SHA256 Credential=jwks/20200101/us-east-1/cognito-idp/aws4_request, "
                "SignedHeaders=host, Signature=none"
            )
        with lock:
            # Materialize the body inside the lock: the backend work happens while iterating.
            return list(inner(environ, start_response))

    run_simple(host, port, app, threaded=True)


if __name__ == "__main__":
    main()
