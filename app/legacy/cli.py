"""`flask legacy ...`: import legacy snapshots."""

import click

legacy_cli = click.Group("legacy", help="Legacy system snapshots.")
