"""The WSGI entry point: ``gunicorn -w 4 wsgi:app`` and ``flask --app wsgi ...``."""

from facility import create_app
from facility.core.process import freeze_start_up

app = create_app()
freeze_start_up()
