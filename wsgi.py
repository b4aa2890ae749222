"""The WSGI entry point: ``gunicorn -w 4 wsgi:app`` and ``flask --app wsgi ...``."""

from facility import create_app

app = create_app()
