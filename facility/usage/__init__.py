"""The usage module: registers its blueprints on the app."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing yet."""
