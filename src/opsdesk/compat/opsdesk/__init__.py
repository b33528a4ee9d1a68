"""opsdesk's own API (`/api/opsdesk`): what neither Zendesk nor PagerDuty has a shape for."""
