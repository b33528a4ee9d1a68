"""opsdesk: support operations in one self-hosted service."""

__version__ = "0.1.0"
