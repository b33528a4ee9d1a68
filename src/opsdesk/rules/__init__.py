"""Business rules: triggers, automations and macros, in Zendesk's vocabulary."""
