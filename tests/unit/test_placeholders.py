"""Placeholders in notification subjects and bodies, filled as Zendesk fills them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsdesk.rules.placeholders import render

VALUES = {
    "ticket.id": "42",
    "ticket.title": "Printer on fire",
    "ticket.requester.first_name": "Ada",
    "ticket.ticket_field_360001": "gold",
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Ticket #{{ticket.id}}", "Ticket #42"),
        ("Hi {{ ticket.requester.first_name }},", "Hi Ada,"),  # spaces inside the braces
        ("{{ticket.id}}: {{ticket.title}} ({{ticket.id}})", "42: Printer on fire (42)"),
        ("Tier: {{ticket.ticket_field_360001}}", "Tier: gold"),
        ("Agent: {{ticket.assignee.name}}.", "Agent: ."),  # unknown placeholders are emptied
        ("{ticket.id} and {{ }} stay", "{ticket.id} and {{ }} stay"),  # not placeholders
        ('{"id": "{{ticket.id}}"}', '{"id": "42"}'),  # webhook JSON bodies
        ("{% if ticket.id %}yes{% endif %}", "{% if ticket.id %}yes{% endif %}"),  # Liquid tags untouched
    ],
)
def test_render(template: str, expected: str) -> None:
    assert render(template, VALUES) == expected


@given(st.text(alphabet=st.characters(blacklist_characters="{}")))
def test_text_without_braces_is_unchanged(text: str) -> None:
    assert render(text, VALUES) == text
