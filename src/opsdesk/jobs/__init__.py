"""Job statuses for bulk requests (create_many, update_many, destroy_many)."""
