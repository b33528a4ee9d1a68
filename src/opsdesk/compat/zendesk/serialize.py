"""Domain objects in Zendesk's JSON shapes. `base` is the absolute API root of the request."""

from __future__ import annotations

from typing import Any

from opsdesk.core.clock import format_utc
from opsdesk.forms.model import TicketField, TicketForm
from opsdesk.groups.model import Group, GroupMembership
from opsdesk.organizations.model import Membership, Organization
from opsdesk.tickets.model import Audit, Channel, Comment, Ticket
from opsdesk.users.model import User


def _ts(value: Any) -> str | None:  # noqa: ANN401 - datetime or None
    return format_utc(value) if value is not None else None


def via(channel: Channel, *, rel: str | None = None, source_id: int | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"from": {}, "to": {}, "rel": rel}
    if source_id is not None:
        source["from"] = {"ticket_id": source_id}
    return {"channel": channel.value, "source": source}


def ticket(base: str, item: Ticket) -> dict[str, Any]:
    channel_rel = "follow_up" if item.followup_source_id else None
    fields = [{"id": int(k), "value": v} for k, v in sorted(item.custom_fields.items(), key=_num)]
    return {
        "id": item.id,
        "url": f"{base}/tickets/{item.id}.json",
        "external_id": item.external_id,
        "via": via(item.via_channel, rel=channel_rel, source_id=item.followup_source_id),
        "created_at": _ts(item.created_at),
        "updated_at": _ts(item.updated_at),
        "generated_timestamp": int(item.updated_at.timestamp()),
        "type": item.type.value if item.type else None,
        "subject": item.subject,
        "raw_subject": item.subject,
        "description": item.description,
        "priority": item.priority.value if item.priority else None,
        "status": item.status.value,
        "recipient": None,
        "requester_id": item.requester_id,
        "submitter_id": item.submitter_id,
        "assignee_id": item.assignee_id,
        "organization_id": item.organization_id,
        "group_id": item.group_id,
        "collaborator_ids": item.collaborator_ids,
        "follower_ids": [],
        "email_cc_ids": item.collaborator_ids,
        "forum_topic_id": None,
        "problem_id": item.problem_id,
        "has_incidents": False,
        "is_public": True,
        "due_at": _ts(item.due_at),
        "tags": item.tags,
        "custom_fields": fields,
        "fields": [dict(field) for field in fields],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "followup_ids": item.followup_ids,
        "via_followup_source_id": item.followup_source_id,
        "ticket_form_id": item.ticket_form_id,
        "brand_id": None,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }


def _num(pair: tuple[str, Any]) -> int:
    return int(pair[0])


def request(base: str, item: Ticket) -> dict[str, Any]:
    """A ticket as its requester sees it through the Requests API (hold shows as open)."""
    return {
        "id": item.id,
        "url": f"{base}/requests/{item.id}.json",
        "subject": item.subject,
        "description": item.description,
        "status": "open" if item.status.value == "hold" else item.status.value,
        "priority": item.priority.value if item.priority else None,
        "type": item.type.value if item.type else None,
        "organization_id": item.organization_id,
        "requester_id": item.requester_id,
        "assignee_id": item.assignee_id,
        "group_id": item.group_id,
        "collaborator_ids": item.collaborator_ids,
        "email_cc_ids": item.collaborator_ids,
        "via": via(item.via_channel),
        "custom_fields": [{"id": int(k), "value": v} for k, v in sorted(item.custom_fields.items(), key=_num)],
        "ticket_form_id": item.ticket_form_id,
        "followup_source_id": item.followup_source_id,
        "can_be_solved_by_me": item.status.value not in ("solved", "closed"),
        "solved": item.status.value in ("solved", "closed"),
        "is_public": True,
        "due_at": _ts(item.due_at),
        "created_at": _ts(item.created_at),
        "updated_at": _ts(item.updated_at),
    }


def comment(base: str, item: Comment) -> dict[str, Any]:
    return {
        "id": item.id,
        "type": "Comment",
        "author_id": item.author_id,
        "body": item.body,
        "html_body": item.html_body,
        "plain_body": item.body,
        "public": item.public,
        "audit_id": item.audit_id,
        "via": via(item.via_channel),
        "metadata": {"system": {}, "custom": {}},
        "created_at": _ts(item.created_at),
        "attachments": [
            {
                "id": a.id,
                "file_name": a.file_name,
                "content_type": a.content_type,
                "size": a.size,
                "url": f"{base}/attachments/{a.id}.json",
                "content_url": f"{base}/attachments/{a.id}/content",
                "inline": False,
                "deleted": False,
                "thumbnails": [],
            }
            for a in item.attachments
        ],
    }


def audit(base: str, item: Audit, *, comment_item: Comment | None = None) -> dict[str, Any]:
    events = []
    for index, event in enumerate(item.events):
        shaped = {**event, "id": item.id * 1000 + index}
        if event["type"] == "Comment" and comment_item is not None:
            shaped = {**comment(base, comment_item), "id": item.id * 1000 + index}
        elif event["type"] == "Comment":
            shaped["plain_body"] = event.get("body")
            shaped["attachments"] = []
        events.append(shaped)
    return {
        "id": item.id,
        "ticket_id": item.ticket_id,
        "author_id": item.author_id if item.author_id is not None else -1,
        "created_at": _ts(item.created_at),
        "via": via(item.via_channel),
        "metadata": item.metadata,
        "events": events,
    }


def user(base: str, item: User) -> dict[str, Any]:
    return {
        "id": item.id,
        "url": f"{base}/users/{item.id}.json",
        "name": item.name,
        "email": item.email,
        "role": item.role.value,
        "role_type": None,
        "organization_id": item.organization_id,
        "default_group_id": item.default_group_id,
        "ticket_restriction": item.ticket_restriction,
        "shared_comments": item.shared_comments,
        "external_id": item.external_id,
        "phone": item.phone,
        "time_zone": item.time_zone,
        "iana_time_zone": item.time_zone,
        "locale": item.locale,
        "details": item.details,
        "notes": item.notes,
        "tags": item.tags,
        "user_fields": item.user_fields,
        "active": item.active,
        "suspended": item.suspended,
        "verified": item.verified,
        "moderator": item.role.value != "end-user",
        "only_private_comments": False,
        "restricted_agent": item.role.value == "agent" and item.ticket_restriction is not None,
        "shared": False,
        "shared_agent": False,
        "two_factor_auth_enabled": False,
        "photo": None,
        "created_at": _ts(item.created_at),
        "updated_at": _ts(item.updated_at),
    }


def organization(base: str, item: Organization) -> dict[str, Any]:
    return {
        "id": item.id,
        "url": f"{base}/organizations/{item.id}.json",
        "name": item.name,
        "external_id": item.external_id,
        "group_id": item.group_id,
        "shared_tickets": item.shared_tickets,
        "shared_comments": item.shared_comments,
        "domain_names": item.domain_names,
        "details": item.details,
        "notes": item.notes,
        "tags": item.tags,
        "organization_fields": item.organization_fields,
        "created_at": _ts(item.created_at),
        "updated_at": _ts(item.updated_at),
    }


def organization_membership(base: str, item: Membership) -> dict[str, Any]:
    return {
        "id": item.id,
        "url": f"{base}/organization_memberships/{item.id}.json",
        "user_id": item.user_id,
        "organization_id": item.organization_id,
        "default": item.default,
        "created_at": _ts(item.created_at),
        "updated_at": _ts(item.updated_at),
    }


def group(base: str, item: Group) -> dict[str, Any]:
    return {
        "id": item.id,
        "url": f"{base}/groups/{item.id}.json",
        "name": item.name,
        "description": item.description,
        "default": item.default,
        "deleted": item.deleted,
        "is_public": True,
        "created_at": _ts(item.created_at),
        "updated_at": _ts(item.updated_at),
    }


def group_membership(base: str, item: GroupMembership) -> dict[str, Any]:
    return {
        "id": item.id,
        "url": f"{base}/group_memberships/{item.id}.json",
        "user_id": item.user_id,
        "group_id": item.group_id,
        "default": item.default,
        "created_at": _ts(item.created_at),
        "updated_at": _ts(item.updated_at),
    }


def ticket_field(base: str, item: TicketField) -> dict[str, Any]:
    return {
        "id": item.id,
        "url": f"{base}/ticket_fields/{item.id}.json",
        "type": item.type.value,
        "title": item.title,
        "raw_title": item.title,
        "description": item.description,
        "raw_description": item.description,
        "position": item.position,
        "active": item.active,
        "required": item.required,
        "visible_in_portal": item.visible_in_portal,
        "editable_in_portal": item.editable_in_portal,
        "regexp_for_validation": item.regexp_for_validation,
        "custom_field_options": [{"name": o.name, "value": o.value} for o in item.options],
        "removable": True,
        "created_at": _ts(item.created_at),
        "updated_at": _ts(item.updated_at),
    }


def ticket_form(base: str, item: TicketForm) -> dict[str, Any]:
    return {
        "id": item.id,
        "url": f"{base}/ticket_forms/{item.id}.json",
        "name": item.name,
        "raw_name": item.name,
        "display_name": item.display_name,
        "raw_display_name": item.display_name,
        "position": item.position,
        "active": item.active,
        "default": item.default,
        "end_user_visible": item.end_user_visible,
        "ticket_field_ids": item.ticket_field_ids,
        "in_all_brands": True,
        "restricted_brand_ids": [],
        "created_at": _ts(item.created_at),
        "updated_at": _ts(item.updated_at),
    }
