"""Database plumbing shared by every domain: metadata, column types, engine."""
