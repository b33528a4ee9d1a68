"""The ASGI application built from the environment, for `uvicorn opsdesk.web.asgi:app` and multi-process serving."""

from opsdesk.core.settings import Settings
from opsdesk.web.app import create_app

app = create_app(Settings.from_env())
