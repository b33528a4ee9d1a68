"""Placeholders in rule messages (pure): `{{ticket.id}}`, `{{ ticket.requester.first_name }}`.

A placeholder is a dotted name between double braces, spaces allowed inside the braces. Each is
replaced by its value from the mapping the caller builds; one the mapping lacks becomes empty,
as in Zendesk. Anything else (single braces, Liquid tags) is left as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}")


def render(template: str, values: Mapping[str, str]) -> str:
    """The template with every placeholder replaced by its value, unknown ones by ""."""
    return _PLACEHOLDER.sub(lambda found: values.get(found.group(1), ""), template)
