"""The advocate's web pages: Starlette + Jinja2, server-rendered, no script. `app.create_app` builds the ASGI app."""
