"""kv-conformance: a conformance suite for the Mattermost Apps key-value HTTP API."""

__version__ = "0.1.0"
