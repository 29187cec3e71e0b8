"""One small module per page group; each exports ROUTES built with `advocacy.web.routing`.

To add a page: write `pages/<name>.py` with its endpoint(s) and `ROUTES = [page(...), action(...)]`, a template
`templates/<name>.html` extending `base.html` (render it with `section="<name>"` so the top bar marks it), add its
ROUTES below and, if it belongs in the top bar, a NavItem in `advocacy/web/nav.py`.
"""

from advocacy.web.pages import (
    agenda,
    bills,
    curate,
    dashboard,
    digest,
    engagement,
    exports,
    member_links,
    members,
    portal,
    questions,
    queue,
    search,
    signin,
)

ROUTES = [
    *signin.ROUTES, *dashboard.ROUTES, *queue.ROUTES, *bills.ROUTES, *curate.ROUTES, *digest.ROUTES,
    *questions.ROUTES, *agenda.ROUTES, *members.ROUTES, *member_links.ROUTES,
    *engagement.ROUTES, *exports.ROUTES,
    *portal.ROUTES,
    *search.ROUTES,
]
