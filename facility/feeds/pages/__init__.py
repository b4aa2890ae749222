"""The feeds module's pages and the public feed URL share one blueprint."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)
