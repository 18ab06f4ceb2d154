"""`flask legacy import PATH`: import a legacy snapshot and print what happened."""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy import select

from app.core.extensions import db
from app.legacy.models import ImportIssue, ImportRun

legacy_cli = click.Group("legacy", help="Legacy system snapshots.")

#: Rejected rows printed by the command; the admin's import report lists them all.
PRINTED_ISSUES = 50


@legacy_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=True, file_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def import_command(path: str, as_json: bool) -> None:
    """Import a snapshot folder or .zip; exit status 1 when it could not be imported."""
    from app.legacy.service import import_snapshot

    run = import_snapshot(path, started_by="cli")
    issues = db.session.scalars(
        select(ImportIssue).where(ImportIssue.import_run_id == run.id).order_by(ImportIssue.id)
    ).all()
    if as_json:
        click.echo(json.dumps(summary(run, issues), ensure_ascii=False, indent=2))
    else:
        _print_summary(run, issues)
    if run.status != "done":
        sys.exit(1)


def summary(run: ImportRun, issues: list[ImportIssue]) -> dict:
    """The import report as plain data."""
    return {
        "import_id": run.id,
        "source": run.source,
        "status": run.status,
        "error": run.error,
        "files": run.counts or {},
        "changes": run.change_count,
        "rows_written": run.rows_written,
        "rejected": run.rejected_count,
        "warnings": run.warning_count,
        "issues": [
            {"severity": i.severity, "file": i.file, "line": i.line, "field": i.field,
             "value": i.value, "reason": i.reason}
            for i in issues
        ],
    }


def _print_summary(run: ImportRun, issues: list[ImportIssue]) -> None:
    if run.status != "done":
        click.echo(f"Import #{run.id} of {run.source} failed: {run.error}", err=True)
        return
    click.echo(f"Import #{run.id} of {run.source}: {run.change_count} change(s), "
               f"{run.rejected_count} rejected row(s), {run.warning_count} warning(s), "
               f"{run.rows_written} row(s) written")
    click.echo(f"  {'file':<16}{'rows':>9}{'new':>9}{'changed':>9}{'same':>9}{'cancel':>9}{'rejected':>9}")
    for name, c in (run.counts or {}).items():
        if "rows" not in c:
            continue
        click.echo(f"  {name:<16}{c['rows']:>9}{c['inserted']:>9}{c['updated']:>9}"
                   f"{c['unchanged']:>9}{c['cancelled']:>9}{c['rejected']:>9}")
    for issue in issues[:PRINTED_ISSUES]:
        field = f" {issue.field}={issue.value!r}" if issue.field else ""
        click.echo(f"  {issue.severity}: {issue.file}:{issue.line}: {issue.reason}{field}")
    if len(issues) > PRINTED_ISSUES:
        click.echo(f"  ... and {len(issues) - PRINTED_ISSUES} more in the admin's import report")
