"""Running the service: the scheduler, job runs under database locks, the steps each job does, health and logs.

Owns `scheduler` (APScheduler, jobs from config), `jobs` (one run per slot), `steps` (what each job does),
`pipeline` (what follows a scrape), `locks`, `health`, `logs` and `crontab`.
May import: every step package; nothing but `advocacy.cli` and `advocacy.web` imports it, except `logs` and
`crontab`, which are leaves.
"""
