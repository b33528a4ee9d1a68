"""People: end-users, agents and admins, with their credentials."""
