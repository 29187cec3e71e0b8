"""Running the service: the scheduler, job runs under database locks, the steps each job does, and health.

Owns `scheduler` (APScheduler, jobs from config), `jobs` (one run per slot), `steps` (what each job does),
`pipeline` (what follows a scrape; tagging takes turns between workers), `queue` (the same jobs as tasks on
procrastinate, for `advocacy worker`, a digest's send shared by the workers)
and `health`. The pieces it shares with the step packages sit below it, at the
root of `advocacy`: `locks` (database locks), `logs` (structured logs) and `crontab` (cron read as cron reads it).
May import: every step package; only `advocacy.cli`, `advocacy.web` and `advocacy.demo` import it.
"""
