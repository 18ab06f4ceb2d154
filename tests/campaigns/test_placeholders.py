"""Placeholders: checked when composing, rendered in a sandbox, shared forms never change a text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.campaigns.content import compile_content
from app.campaigns.models import Campaign
from app.campaigns.placeholders import problems


def test_syntax_errors_name_the_line(app):
    assert problems("Dzień dobry\n{{ nazwa ") == [problems("Dzień dobry\n{{ nazwa ")[0]]
    assert "2" in problems("Dzień dobry\n{{ nazwa ")[0]


def test_the_sandbox_refuses_reaching_into_python(app):
    errors = problems("{{ nazwa.__class__.__mro__ }}", codes=set())
    assert errors and "nazwa" not in errors[0].split(":")[0]
    assert problems("{{ ''.__class__ }}", codes=set())


def test_unknown_filters_are_reported(app):
    assert problems("{{ nazwa|zrob_cos }}", codes=set())


def test_an_attribute_without_a_code_is_an_error(app):
    assert problems("{{ atrybut }}", codes={"BRANZA"})
    assert problems("{{ atrybut.BRANZA }} {{ atrybut['BRANZA'] }}", codes={"BRANZA"}) == []


def campaign(sms: str) -> Campaign:
    return Campaign(channel_mode="both", sms_text=sms, email_subject="Temat {{ nazwa }}",
                    email_text="Treść dla {{ nazwa }}, {{ osiedle }}: {{ link }}")


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, district=names)
def test_the_shared_form_filled_in_is_always_the_rendered_text(app, name, district):
    compiled = compile_content(campaign("{{ nazwa|upper }} / {{ nazwa }} z {{ osiedle }}"), "Urząd",
                               codes=set())
    context = {"nazwa": name, "osiedle": district, "link": "https://u.pl/p/1.x", "jednostka": "Urząd",
               "atrybut": {}, "wypisz": "https://u.pl/wypisz/1.2.x"}
    from app.channels.models import fill_markers

    sms = compiled.sms(dict(context))
    if sms.template is not None:
        assert fill_markers(sms.template, sms.params) == sms.body
    email = compiled.email(dict(context))
    if email.template is not None:
        assert fill_markers(email.template, email.params) == email.body
        assert fill_markers(email.html, email.params) == compiled._html(dict(context))
    else:
        assert email.html == compiled._html(dict(context))
