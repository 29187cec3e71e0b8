from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from advocacy.app import App
from advocacy.cli import EXIT_FAILED, EXIT_USAGE, pass_app
from advocacy.curation.lookup import BillLookupError, find_bill
from advocacy.runtime.pipeline import make_tagger, ranker_path
from advocacy.tagging.corpus import corpus_examples
from advocacy.tagging.learning import learn
from advocacy.tagging.store import bill_input, retag_all, stale_bill_ids, tag_bills
from advocacy.tagging.tagger import BillInput, Tagger, explain_json, explain_jsonl, explain_text


@click.group("tag", invoke_without_command=True)
@click.option("--all", "everything", is_flag=True,
              help="Re-tag every stored bill (after a rule change); without it, bills new or changed since tagged.")
@click.pass_context
def tag_group(ctx: click.Context, everything: bool) -> None:
    """Tag bills by the topic rules in config.toml; `tag explain` shows the reasoning for one bill."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(_run, everything=everything)


@pass_app()
def _run(app: App, everything: bool) -> None:
    tagger = make_tagger(app.config)
    with app.transaction() as session:
        if everything:
            report = retag_all(session, tagger, app.now(), jurisdictions=app.config.followed())
        else:
            report = tag_bills(session, tagger, stale_bill_ids(session, app.config.followed()), app.now())
    click.echo(f"Tagged {report.tagged} bill(s); {report.relevant} relevant.")
    for moved in report.moved_in:
        click.echo(f"  in:  {moved.identifier} ({moved.score:.2f}) {moved.title}")
        for reason in moved.reasons[:3]:
            click.echo(f"         {reason}")
    for moved in report.moved_out:
        click.echo(f"  out: {moved.identifier} ({moved.previous_score:.2f} -> {moved.score:.2f}) {moved.title}")
        for reason in moved.reasons[:3]:
            click.echo(f"         no longer: {reason}")


@tag_group.command("explain")
@click.argument("bill", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--jsonl", is_flag=True, help="Read one bill per line on stdin, write one result per line.")
@pass_app(migrated=False)
def explain(app: App, bill: tuple[str, ...], as_json: bool, jsonl: bool) -> None:
    """Show the tagger's judgement on one bill without storing anything.

    BILL is a stored bill in any spelling ("H.B. 96", "hb96"); without it, the bill is read as JSON on stdin:
    {"state": "OH", "session": "136", "bill": "HB 96", "title": "...", "synopsis": "...", "subjects": [],
    "committee": ""}.
    """
    tagger = make_tagger(app.config)
    if jsonl:
        bad = False
        for line in explain_jsonl(sys.stdin, tagger):
            bad = bad or "error" in json.loads(line)
            click.echo(line)
        sys.exit(EXIT_FAILED if bad else 0)
    if bill:
        app.check_migrated()
        with app.sessions() as session:
            try:
                stored = BillInput(**bill_input(find_bill(session, " ".join(bill), aliases=app.config.bill_aliases())))
            except BillLookupError as exc:
                click.secho(str(exc), fg="red", err=True)
                sys.exit(EXIT_FAILED)
        assessment = tagger.assess(stored)
        if as_json:
            click.echo(json.dumps({"state": stored.state, "session": stored.session, "bill": stored.bill,
                                   **assessment.to_json()}))
        else:
            click.echo(explain_text(stored, assessment, app.config.tagging.threshold))
        return
    else:
        try:
            data = json.loads(sys.stdin.read())
        except json.JSONDecodeError as exc:
            click.secho(f"stdin: not a JSON object ({exc})", fg="red", err=True)
            sys.exit(EXIT_USAGE)
    try:
        if as_json:
            click.echo(json.dumps(explain_json(data, tagger)))
        else:
            parsed = BillInput.from_mapping(data)
            click.echo(explain_text(parsed, tagger.assess(parsed), app.config.tagging.threshold))
    except ValueError as exc:
        click.secho(f"stdin: {exc}", fg="red", err=True)
        sys.exit(EXIT_USAGE)


@tag_group.command("learn")
@click.option("--corpus", "realdata", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also train on the labelled corpus, whose bills are read from this realdata folder.")
@pass_app()
def learn_command(app: App, realdata: Path | None) -> None:
    """Train the learned ranker on the advocate's approve/dismiss decisions (and the corpus) and store it.

    With too few decisions the rules work alone and any stored model is removed. The `tag` job retrains it on
    its own every `[tagging.ranker] retrain_days`.
    """
    rules = Tagger.from_config(app.config.tagging)
    try:
        corpus = corpus_examples(realdata) if realdata else []
    except (OSError, ValueError) as exc:
        click.secho(f"--corpus {realdata}: {exc}", fg="red", err=True)
        sys.exit(EXIT_USAGE)
    path = ranker_path(app.config)
    with app.transaction() as session:
        training = learn(session, rules, path, app.now(), corpus)
    click.echo(training.message)
    held = training.metrics.get("held_out")
    if held:
        alone = training.metrics["held_out_rules"]
        click.echo(f"held-out decisions (4-fold): rules + ranker precision {held['precision']:.3f}, recall "
                   f"{held['recall']:.3f}; rules alone precision {alone['precision']:.3f}, recall "
                   f"{alone['recall']:.3f}; raises at {training.metrics['raise_at']:g}")
    click.echo(f"model: {path}" if training.ranker else "no model stored: the queue is ranked by the rules")


COMMANDS = [tag_group]
