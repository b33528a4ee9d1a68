"""Agent groups (Tier 1, Platform experts) and who belongs to them."""
