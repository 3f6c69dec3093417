"""The embedded reference server: upstream's KV behaviour, with switchable faults."""

from conformance.reference.faults import Faults
from conformance.reference.identities import Identity, parse_token_specs
from conformance.reference.server import ReferenceServer
from conformance.reference.service import KV_PATH, MAX_VALUE_BYTES, KVService, Request, Response
from conformance.reference.store import MemoryStore, Namespace, SqliteStore, Store, open_store

__all__ = [
    "KV_PATH",
    "MAX_VALUE_BYTES",
    "Faults",
    "Identity",
    "KVService",
    "MemoryStore",
    "Namespace",
    "ReferenceServer",
    "Request",
    "Response",
    "SqliteStore",
    "Store",
    "open_store",
    "parse_token_specs",
]
