"""The Zendesk Support API v2 subset that zenpy and other Zendesk tooling use."""
