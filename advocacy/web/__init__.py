"""The advocate's web pages: Starlette + Jinja2, server-rendered, no script."""

from advocacy.web.app import create_app

__all__ = ["create_app"]
