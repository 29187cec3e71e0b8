"""The web pages, staff's and members' (by signed link): Starlette + Jinja2, server-rendered, no script.

`app.create_app` builds the ASGI app, mounting the pages (`pages/`), the inbound webhook and, under `advocacy run`,
`/healthz`. May import anything below it.
"""
