"""`flask demo ...`: write and import demo data."""

import click

demo_cli = click.Group("demo", help="Demo data.")
