from advocacy.app import App
from tests.websupport import ADVOCATE, seed_bill, seed_members, seed_questions, seed_runs, signed_in_client


def test_smoke(app: App) -> None:
    now = app.now()
    bill_id = seed_bill(app, now)
    seed_members(app, now)
    seed_questions(app, now)
    seed_runs(app, now)
    c = signed_in_client(app, ADVOCATE, "advocate")
    for path in ["/", "/queue", "/queue?all=1", f"/bills/{bill_id}", "/digest", "/questions", "/agenda", "/members",
                 "/members/1"]:
        r = c.get(path)
        assert r.status_code == 200, (path, r.text[:3000])
