"""Imports every table module so that `metadata` knows the whole schema (Alembic, tests)."""

from opsdesk.calendars import tables as _calendars
from opsdesk.core import versions as _versions
from opsdesk.core.db.naming import metadata
from opsdesk.delivery import tables as _delivery
from opsdesk.forms import tables as _forms
from opsdesk.groups import tables as _groups
from opsdesk.jobs import tables as _jobs
from opsdesk.organizations import tables as _organizations
from opsdesk.rules import tables as _rules
from opsdesk.sla import tables as _sla
from opsdesk.tickets import tables as _tickets
from opsdesk.timers import tables as _timers
from opsdesk.users import tables as _users
from opsdesk.views import tables as _views

__all__ = ["metadata"]
_ = (
    _calendars,
    _delivery,
    _forms,
    _groups,
    _jobs,
    _organizations,
    _rules,
    _sla,
    _tickets,
    _timers,
    _users,
    _versions,
    _views,
)
