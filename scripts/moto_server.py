"""Serves moto with every request applied atomically, as DynamoDB applies them.

moto's own server handles requests on several threads without a lock around its backends, so two
concurrent UpdateItem ADDs can read the same value and one increment is lost (seen in the
contract suite's counter case). Real DynamoDB never does that. Connections are still served on
threads; only the application calls are serialized.

JWKS requests (GET /<pool>/.well-known/jwks.json) are sent to moto's Cognito.

moto's TransactWriteItems snapshots the whole table (its stream included) once per item of the
transaction, to roll back on failure: a transaction of 100 items on a table with a few thousand
stream records took 10-30 s and gigabytes. It is made to snapshot each table once per
transaction, which rolls back exactly the same.

Usage: python moto_server.py HOST PORT
"""

import copy
import os
import signal
import sys
import threading

import moto.dynamodb.models as dynamodb_models

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


class _TableSnapshots:
    """Stands in for the `copy` module inside one transaction: a table is copied once."""

    def __init__(self) -> None:
        self.tables: dict[int, object] = {}

    def deepcopy(self, x, memo=None):
        if not isinstance(x, dynamodb_models.Table):
            return copy.deepcopy(x, memo)
        if id(x) not in self.tables:
            self.tables[id(x)] = copy.deepcopy(x, memo)
        return self.tables[id(x)]


def _snapshot_tables_once() -> None:
    original = dynamodb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        # Requests are serialized (below), so swapping the module's `copy` is safe.
        dynamodb_models.copy = _TableSnapshots()
        try:
            return original(self, transact_items)
        finally:
            dynamodb_models.copy = copy

    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items


def main() -> None:
    _snapshot_tables_once()
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
