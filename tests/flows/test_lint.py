"""`shopchat check` catches every class of mistake at the right file, line and column."""

from __future__ import annotations

from tests.flows.conftest import lines

MENU = """\
triggers:
  keywords: {en: [menu], pl: [menu]}
steps:
  - say: {en: Hello, pl: Cześć}
"""


def only(diags, root, severity="error"):
    return [x for x, d in zip(lines(diags, root), diags, strict=True) if d.severity == severity]


def test_a_valid_project_has_no_diagnostics(make_project):
    project, diags, root = make_project({"menu": MENU})
    assert lines(diags, root) == []
    assert project is not None and set(project.flows) == {"menu"}


def test_yaml_syntax_error_points_at_the_broken_line(make_project):
    broken = "steps:\n  - say: {en: Hi, pl: Cześć\n  - say: x\n"
    project, diags, root = make_project({"menu": MENU, "broken": broken})
    assert project is None
    [error] = only(diags, root)
    assert error.startswith("flows/broken.yaml:3:")
    assert "YAML syntax error" in error


def test_unknown_key_is_reported_with_a_suggestion(make_project):
    flow = """\
steps:
  - ask: name
    txt: {en: Name?, pl: Imię?}
"""
    _, diags, root = make_project({"menu": MENU, "f": flow})
    errors = only(diags, root)
    assert "flows/f.yaml:3:5: unknown key 'txt' (did you mean 'text'?)" in errors


def test_wrong_type_is_a_schema_error(make_project):
    flow = """\
steps:
  - ask: age
    type: integer
    attempts: many
    text: {en: Age?, pl: Wiek?}
"""
    _, diags, root = make_project({"menu": MENU, "f": flow})
    errors = only(diags, root)
    assert any(e.startswith("flows/f.yaml:4:15: attempts:") for e in errors), errors


def test_step_without_a_kind(make_project):
    flow = "steps:\n  - sya: hello\n"
    _, diags, root = make_project({"menu": MENU, "f": flow})
    assert (
        "flows/f.yaml:2:5: step has no kind: expected one of say, ask, set, branch, call, goto, action, handoff, end (did you mean 'say'?)"
        in only(diags, root)
    )


def test_unknown_step_and_flow_references(make_project):
    flow = """\
steps:
  - id: first
    say: {en: Hi, pl: Cześć}
    next: secnd
  - id: second
    goto: {flow: nowhere}
  - call: menuu
"""
    _, diags, root = make_project({"menu": MENU, "f": flow})
    errors = only(diags, root)
    assert "flows/f.yaml:4:11: unknown step 'secnd' in flow 'f'" in " ".join(errors) or any(
        e.startswith("flows/f.yaml:4:11: unknown step 'secnd'") for e in errors
    )
    assert "flows/f.yaml:6:11: unknown flow 'nowhere'" in errors
    assert "flows/f.yaml:7:11: unknown flow 'menuu' (did you mean 'menu'?)" in errors


def test_a_flow_name_used_as_a_step_target_gets_a_hint(make_project):
    flow = "steps:\n  - goto: menu\n"
    _, diags, root = make_project({"menu": MENU, "f": flow})
    assert (
        "flows/f.yaml:2:11: unknown step 'menu' in flow 'f' ('menu' is a flow: write {flow: menu})"
        in only(diags, root)
    )


def test_unknown_action_and_bad_arguments(make_project):
    flow = """\
steps:
  - action: shop.lookp
  - action: shop.lookup
    args:
      numbr: "A1"
    result: order
  - say: {en: "{{ order }}", pl: "{{ order }}"}
"""
    _, diags, root = make_project({"menu": MENU, "f": flow})
    errors = only(diags, root)
    assert "flows/f.yaml:2:13: unknown action 'shop.lookp' (did you mean 'shop.lookup'?)" in errors
    assert (
        "flows/f.yaml:5:14: action 'shop.lookup' has no parameter 'numbr' (parameters: number, verbose)"
        in errors
    )
    assert "flows/f.yaml:3:13: action 'shop.lookup' needs argument 'number'" in errors


def test_unreachable_step(make_project):
    flow = """\
steps:
  - say: {en: Hi, pl: Cześć}
  - goto: end
  - id: orphan
    say: {en: Never, pl: Nigdy}
"""
    _, diags, root = make_project({"menu": MENU, "f": flow})
    assert "flows/f.yaml:4:5: step 'orphan' is unreachable: no step leads to it" in only(
        diags, root
    )


def test_undefined_variable_in_a_template(make_project):
    flow = """\
steps:
  - ask: budget
    type: money
    text: {en: Budget?, pl: Budżet?}
  - say:
      en: "Up to {{ budgett | money }}"
      pl: "Do {{ budget | money }}"
  - branch:
      - if: colour == 'red'
        next: end
"""
    _, diags, root = make_project({"menu": MENU, "f": flow})
    errors = only(diags, root)
    assert (
        "flows/f.yaml:6:11: undefined variable 'budgett': no step sets this slot (did you mean 'budget'?)"
        in errors
    )
    assert any(e.startswith("flows/f.yaml:9:13: undefined variable 'colour'") for e in errors), (
        errors
    )


def test_template_syntax_error(make_project):
    flow = """\
steps:
  - say:
      en: "Hi {{ user.first_name }"
      pl: "Cześć"
"""
    _, diags, root = make_project({"menu": MENU, "f": flow})
    errors = only(diags, root)
    assert len(errors) == 1 and errors[0].startswith("flows/f.yaml:3:11: template syntax error:")


def test_missing_translation_inline_and_via_catalog(make_project):
    flow = """\
steps:
  - say: {en: Hello there}
  - say: Plain text with a catalog entry
  - say: Plain text without one
"""
    locales = {"pl": '"Plain text with a catalog entry": "Zwykły tekst z tłumaczeniem"\n'}
    _, diags, root = make_project({"menu": MENU, "f": flow}, locales=locales)
    errors = only(diags, root)
    assert errors == [
        "flows/f.yaml:2:10: missing 'pl' translation for 'Hello there'",
        "flows/f.yaml:4:10: missing 'pl' translation for 'Plain text without one'",
    ]


def test_duplicate_triggers_name_the_first_owner(make_project):
    other = """\
triggers:
  keywords: {en: [Menu]}
  commands: [/x]
steps:
  - say: {en: Other, pl: Inny}
"""
    _, diags, root = make_project({"menu": MENU, "other": other})
    errors = only(diags, root)
    assert (
        "flows/other.yaml:2:19: duplicate trigger 'menu': flow 'menu' already uses it (menu.yaml:2)"
        in errors
    )


def test_choice_label_over_the_whatsapp_limit(make_project):
    flow = """\
steps:
  - ask: pick
    text: {en: Pick, pl: Wybierz}
    choices:
      - value: a
        label: {en: Short, pl: Krótka}
      - value: b
        label: {en: Short too, pl: Bardzo długa etykieta wyboru}
"""
    _, diags, root = make_project({"menu": MENU, "f": flow})
    errors = only(diags, root)
    assert (
        "flows/f.yaml:7:9: choice label 'Bardzo długa etykieta wyboru' (pl) is 28 characters: "
        "WhatsApp buttons, Messenger quick replies, Instagram quick replies, LINE quick replies "
        "allow 20" in errors
    )


def test_too_many_choices(make_project):
    choices = "\n".join(
        f"      - {{value: c{i}, label: {{en: C{i}, pl: C{i}}}}}" for i in range(11)
    )
    flow = f"steps:\n  - ask: pick\n    text: {{en: Pick, pl: Wybierz}}\n    choices:\n{choices}\n"
    _, diags, root = make_project({"menu": MENU, "f": flow})
    assert any("11 choices: a WhatsApp list shows at most 10" in e for e in only(diags, root))


def test_bad_shop_settings_are_reported(make_project):
    shop = (
        "name: X\ndefault_locale: en\ncurrency: zloty\ntimezone: Mars/Olympus\nstart_flow: nope\n"
    )
    _, diags, root = make_project({"menu": MENU}, shop=shop)
    errors = only(diags, root)
    assert any(e.startswith("shop.yaml:3:11: currency:") for e in errors), errors
    assert "shop.yaml:4:11: unknown time zone 'Mars/Olympus'" in errors
    assert "shop.yaml:5:13: start_flow 'nope' is not a flow in flows/" in errors


def test_non_utf8_file_is_a_clean_error(make_project, tmp_path):
    _, _, root = make_project({"menu": MENU})
    (root / "flows" / "latin.yaml").write_bytes("steps:\n  - say: Cze\xf6\n".encode("latin-1"))
    from flows import load_project

    project, diags = load_project(root)
    assert project is None
    assert any("not UTF-8" in d.message and d.path.name == "latin.yaml" for d in diags)
