"""Zendesk request bodies read into the domain's typed values."""

from __future__ import annotations

from typing import Any

from opsdesk.compat.zendesk.fields import (
    MAX_ID,
    FieldError,
    Reader,
    anything,
    boolean,
    flag,
    id_list,
    ignored,
    instant,
    mapping,
    one_of,
    read_object,
    record_id,
    string_list,
    tag_list,
    text,
    whole_number,
)
from opsdesk.core.errors import InvalidInput
from opsdesk.tickets.access import Role
from opsdesk.tickets.model import CommentDraft, Priority, RequesterDraft, Status, TicketType
from opsdesk.users.model import looks_like_email, normalize_email


def custom_field_values(value: Any) -> dict[int, Any]:  # noqa: ANN401 - raw JSON
    """`[{"id": 1, "value": "x"}]` (Zendesk) or `{"1": "x"}` into `{1: "x"}`."""
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list) and all(isinstance(item, dict) and "id" in item for item in value):
        pairs = [(item["id"], item.get("value")) for item in value]
    else:
        raise FieldError('must be a list of {"id": ..., "value": ...}')
    result: dict[int, Any] = {}
    for key, item_value in pairs:
        field_id = key if isinstance(key, int) and not isinstance(key, bool) else None
        if isinstance(key, str) and key.isdigit() and len(key) <= len(str(MAX_ID)):
            field_id = int(key)
        if field_id is None or not 0 < field_id <= MAX_ID:
            raise FieldError(f"{key!r} is not a ticket field id")
        result[field_id] = item_value
    return result


def required_id(value: Any) -> int:  # noqa: ANN401 - raw JSON
    found = record_id(value)
    if found is None:
        raise FieldError("cannot be blank")
    return found


_TICKET_READ_ONLY = ignored(
    "id",
    "url",
    "via",
    "created_at",
    "updated_at",
    "recipient",
    "has_incidents",
    "is_public",
    "satisfaction_rating",
    "sharing_agreement_ids",
    "followup_ids",
    "brand_id",
    "allow_channelback",
    "allow_attachments",
    "follower_ids",
    "email_cc_ids",
    "forum_topic_id",
    "generated_timestamp",
    "from_messaging_channel",
    "result_type",
    "custom_status_id",
    "safe_update",
    "updated_stamp",
    "macro_ids",
    "via_id",
    "via_followup_source_id",
    "metadata",
    "encoded_id",
    "raw_subject",
    "submitter_id",
    "followers",
    "email_ccs",
    "collaborators",
    "attribute_value_ids",
    "assignee_email",
    "sharing_agreements",
)

TICKET_SPEC: dict[str, Reader | object] = {
    **_TICKET_READ_ONLY,
    "subject": text(255, nullable=False),
    "description": text(),
    "comment": mapping,
    "requester_id": required_id,
    "requester": mapping,
    "assignee_id": record_id,
    "group_id": record_id,
    "organization_id": record_id,
    "ticket_form_id": record_id,
    "status": one_of(*[s.value for s in Status]),
    "priority": one_of(*[p.value for p in Priority]),
    "type": one_of(*[t.value for t in TicketType]),
    "external_id": text(255),
    "tags": tag_list,
    "additional_tags": tag_list,
    "remove_tags": tag_list,
    "custom_fields": custom_field_values,
    "fields": custom_field_values,
    "collaborator_ids": id_list,
    "due_at": instant,
    "problem_id": record_id,
}

COMMENT_SPEC: dict[str, Reader | object] = {
    **ignored("id", "type", "created_at", "via", "metadata", "attachments", "plain_body", "audit_id"),
    "body": text(),
    "html_body": text(),
    "value": text(),
    "public": boolean,
    "author_id": record_id,
    "uploads": string_list,
}

REQUESTER_SPEC: dict[str, Reader | object] = {
    **ignored("id", "locale_id", "locale"),
    "name": text(255),
    "email": text(320, nullable=False),
}


def read_comment(raw: Any) -> CommentDraft | None:  # noqa: ANN401 - raw JSON
    if raw is None:
        return None
    values = read_object(raw, COMMENT_SPEC, where="comment", prefix="comment.")
    public = values.get("public")
    return CommentDraft(
        body=values.get("body") or values.get("value"),
        html_body=values.get("html_body"),
        public=True if public is None else public,
        author_id=values.get("author_id"),
        uploads=tuple(values.get("uploads", [])),
    )


def read_ticket(raw: Any) -> tuple[dict[str, Any], CommentDraft | None, RequesterDraft | None]:  # noqa: ANN401
    values = read_object(raw, TICKET_SPEC, where="ticket")
    comment = read_comment(values.pop("comment", None)) if "comment" in values else None
    description = values.pop("description", None)
    if comment is None and description:
        comment = CommentDraft(body=description)
    requester = None
    if "requester" in values:
        fields = read_object(values.pop("requester"), REQUESTER_SPEC, where="requester", prefix="requester.")
        if not fields.get("email"):
            raise InvalidInput.field("requester.email", "cannot be blank")
        if not looks_like_email(normalize_email(fields["email"])):
            raise InvalidInput.field("requester.email", f"{fields['email']} is not properly formatted")
        requester = RequesterDraft(email=fields["email"], name=fields.get("name"))
    if "fields" in values:
        values["custom_fields"] = {**values.pop("fields"), **values.get("custom_fields", {})}
    for key in ("tags", "additional_tags", "remove_tags", "collaborator_ids"):
        if key in values and values[key] is None:
            values[key] = []
    return values, comment, requester


REQUEST_SPEC: dict[str, Reader | object] = {
    **_TICKET_READ_ONLY,
    **ignored(
        "can_be_solved_by_me",
        "followup_source_id",
        "requester_id",
        "organization_id",
        "assignee_id",
        "group_id",
        "collaborator_ids",
        "solved",
    ),
    "subject": text(255),
    "description": text(),
    "comment": mapping,
    "priority": one_of(*[p.value for p in Priority]),
    "type": one_of(*[t.value for t in TicketType]),
    "ticket_form_id": record_id,
    "custom_fields": custom_field_values,
    "due_at": instant,
    "status": one_of("solved"),
}


def read_request(raw: Any) -> tuple[dict[str, Any], CommentDraft | None, bool]:  # noqa: ANN401 - raw JSON
    """A Requests API body: (ticket values, comment, whether the requester marks it solved)."""
    solved = isinstance(raw, dict) and raw.get("solved") is True
    values = read_object(raw, REQUEST_SPEC, where="request")
    comment = read_comment(values.pop("comment", None)) if "comment" in values else None
    description = values.pop("description", None)
    if comment is None and description:
        comment = CommentDraft(body=description)
    if values.pop("status", None) == "solved":
        solved = True
    return values, comment, solved


USER_SPEC: dict[str, Reader | object] = {
    **ignored(
        "id",
        "url",
        "created_at",
        "updated_at",
        "active",
        "shared",
        "shared_agent",
        "photo",
        "last_login_at",
        "two_factor_auth_enabled",
        "role_type",
        "custom_role_id",
        "moderator",
        "only_private_comments",
        "restricted_agent",
        "result_type",
        "iana_time_zone",
        "chat_only",
        "report_csv",
        "signature",
        "alias",
        "locale_id",
        "identities",
        "skip_verify_email",
    ),
    "name": text(255, nullable=False),
    "email": text(320),
    "role": one_of(*[r.value for r in Role], nullable=False),
    "organization_id": record_id,
    "default_group_id": record_id,
    "ticket_restriction": one_of("requested", "organization", "groups", "assigned"),
    "shared_comments": boolean,
    "external_id": text(255),
    "phone": text(64),
    "time_zone": text(64, nullable=False),
    "locale": text(16, nullable=False),
    "details": text(nullable=False),
    "notes": text(nullable=False),
    "tags": tag_list,
    "user_fields": mapping,
    "suspended": flag,
    "verified": flag,
    "password": anything,
}

ORGANIZATION_SPEC: dict[str, Reader | object] = {
    **ignored("id", "url", "created_at", "updated_at", "result_type", "shared_tickets_setting"),
    "name": text(255, nullable=False),
    "external_id": text(255),
    "group_id": record_id,
    "shared_tickets": flag,
    "shared_comments": flag,
    "domain_names": string_list,
    "details": text(nullable=False),
    "notes": text(nullable=False),
    "tags": tag_list,
    "organization_fields": mapping,
}

GROUP_SPEC: dict[str, Reader | object] = {
    **ignored("id", "url", "created_at", "updated_at", "deleted", "is_public", "result_type"),
    "name": text(255, nullable=False),
    "description": text(nullable=False),
    "default": flag,
}

MEMBERSHIP_SPEC: dict[str, Reader | object] = {
    **ignored("id", "url", "created_at", "updated_at", "default", "organization_name", "view_tickets"),
    "user_id": record_id,
    "organization_id": record_id,
    "group_id": record_id,
}

TICKET_FIELD_SPEC: dict[str, Reader | object] = {
    **ignored(
        "id",
        "url",
        "created_at",
        "updated_at",
        "raw_title",
        "raw_description",
        "removable",
        "agent_description",
        "title_in_portal",
        "raw_title_in_portal",
        "collapsed_for_agents",
        "system_field_options",
        "sub_type_id",
        "tag",
        "required_in_portal",
        "key",
    ),
    "type": text(32),
    "title": text(255),
    "description": text(),
    "position": whole_number,
    "active": boolean,
    "required": boolean,
    "visible_in_portal": boolean,
    "editable_in_portal": boolean,
    "regexp_for_validation": text(1000),
    "custom_field_options": anything,
}

TICKET_FORM_SPEC: dict[str, Reader | object] = {
    **ignored(
        "id",
        "url",
        "created_at",
        "updated_at",
        "raw_name",
        "raw_display_name",
        "in_all_brands",
        "restricted_brand_ids",
        "agent_conditions",
        "end_user_conditions",
    ),
    "name": text(255),
    "display_name": text(255),
    "position": whole_number,
    "active": boolean,
    "default": boolean,
    "end_user_visible": boolean,
    "ticket_field_ids": id_list,
}
