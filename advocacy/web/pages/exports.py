"""Downloads: the tracked bills and the members as CSV, a digest as Word or PDF, a district's board packet."""

from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from advocacy.app import App
from advocacy.exports.digest import FORMATS, MEDIA_TYPES, digest_document, pick_digest
from advocacy.exports.packet import board_packet
from advocacy.exports.tables import bills_csv, members_csv, tracked_bills
from advocacy.models import District
from advocacy.outbound.digest import NothingNew
from advocacy.web.routing import page

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def download(data: str | bytes, name: str, media_type: str) -> Response:
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def bills_export(request: Request) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        data = bills_csv(tracked_bills(session, app.config, app.now()), app.config)
    return download(data, f"tracked-bills-{app.now():%Y-%m-%d}.csv", MEDIA_TYPES["csv"])


def members_export(request: Request) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        data = members_csv(session)
    return download(data, "members.csv", MEDIA_TYPES["csv"])


def digest_export(request: Request) -> Response:
    app: App = request.app.state.app
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        raise HTTPException(404, f"A digest downloads as {' or '.join(FORMATS)}.")
    with app.sessions() as session:
        try:
            digest = pick_digest(session, request.path_params["mailing_id"])
            data = digest_document(session, app.config, digest, app.now(), fmt)
        except (LookupError, NothingNew) as exc:
            raise HTTPException(404, str(exc)) from exc
    return download(data, f"digest-{digest.id}.{fmt}", MEDIA_TYPES[fmt])


def packet_export(request: Request) -> Response:
    app: App = request.app.state.app
    with app.sessions() as session:
        wanted = request.query_params.get("district", "")
        district = session.get(District, int(wanted)) if wanted.isdigit() else None
        if district is None:
            raise HTTPException(404, "There is no district with that number.")
        data = board_packet(session, app.config, district, app.now())
        name = f"board-packet-{(district.code or district.name).replace(' ', '-').lower()}.docx"
    return download(data, name, DOCX)


ROUTES = [
    page("/bills/tracked.csv", bills_export, name="bills_export"),
    page("/members/export.csv", members_export, name="members_export"),
    page("/digest/{mailing_id:int}/export.{fmt}", digest_export, name="digest_export"),
    page("/members/packet.docx", packet_export, name="district_packet"),
]
