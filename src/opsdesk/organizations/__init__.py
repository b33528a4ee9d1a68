"""Customer organizations, their email domains, memberships and sharing settings."""
