"""scenarios.text.clean and the CLI outputs that use it: no escape sequence from a file reaches a terminal."""

import re

import pytest

from scenarios.text import clean
from tui.cli import main

# Raw bytes a terminal would act on: ESC, CSI/OSC in 8-bit form, BEL, backspace, CR, bidi overrides.
ACTING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(
    ("raw", "one_line", "multi_line"),
    [
        ("plain [bold]text[/] stays", "plain [bold]text[/] stays", "plain [bold]text[/] stays"),
        ("a\x1b[31mred\x1b[0m b", "ared b", "ared b"),
        ("title\x1b]0;pwned\x07 after", "title after", "title after"),
        ("link \x1b]8;;http://evil\x1b\\here\x1b]8;;\x1b\\ end", "link here end", "link here end"),
        ("8-bit \x9b2J csi \x9d0;t\x9c osc", "8-bit  csi  osc", "8-bit  csi  osc"),
        ("unterminated \x1b]0;title to the end", "unterminated ", "unterminated "),
        ("reset\x1bc and \x1b(0 charset", "reset and  charset", "reset and  charset"),
        ("bell\x07 nul\x00 bs\x08 del\x7f", "bell nul bs del", "bell nul bs del"),
        ("tab\there", "tab    here", "tab    here"),
        ("line one\r\nline two\rthree\n", "line one line two three ", "line one\nline two\nthree\n"),
        ("bidi \u202etxt.exe\u202c and \u2066x\u2069", "bidi txt.exe and x", "bidi txt.exe and x"),
        ("unicode é 中 🙂 \u00a0nbsp", "unicode é 中 🙂 \u00a0nbsp", "unicode é 中 🙂 \u00a0nbsp"),
        (42, "42", "42"),
    ],
)
def test_clean(raw, one_line, multi_line):
    assert clean(raw) == one_line
    assert clean(raw, keep_newlines=True) == multi_line
    assert not ACTING.search(clean(raw, keep_newlines=True))


HOSTILE = {
    "title: Mini leak": 'title: "Mini \\e[31mleak\\e]0;pwned\\a [bold"',
    "briefing: Checkout pods keep restarting.": 'briefing: "Pods \\e[2J restart \\u202egnp"',
    "root_cause: {service: checkout, category: memory_leak}": (
        'root_cause: {service: checkout, category: memory_leak, summary: "leak \\e[5mblink\\x9b31m"}\n'
        'messages:\n  - {at: 1m, from: "@x\\e[8m", text: "look \\e]52;c;ZXZpbA==\\a here"}'
    ),
}
ACTIONS = '- {at: 1m, action: note, text: "note \\e[31m[red]\\e[0m \\r overwritten"}\n- {at: 2m, action: ack}\n'


@pytest.fixture
def hostile(tmp_path, minimal_text):
    text = minimal_text
    for old, new in HOSTILE.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    actions = tmp_path / "actions.yaml"
    actions.write_text(ACTIONS, encoding="utf-8")
    return path, actions


def test_run_verbose_and_postmortem_show_no_escape_sequences(hostile, tmp_path, capsys):
    path, actions = hostile
    journal = tmp_path / "j.jsonl"
    assert main(["run", str(path), "--actions", str(actions), "--journal", str(journal), "-v"]) == 0
    out = capsys.readouterr().out
    assert "Mini leak [bold" in out and "note: note [red]" in out and "look  here" in out
    assert not ACTING.search(out), repr(ACTING.search(out))
    assert main(["postmortem", str(journal)]) == 0
    draft = capsys.readouterr().out
    assert "Mini leak [bold" in draft and "\n" in draft
    assert not ACTING.search(draft)
    written = tmp_path / "pm.md"
    assert main(["postmortem", str(journal), "-o", str(written)]) == 0
    assert not ACTING.search(written.read_text(encoding="utf-8"))


def test_list_and_validate_show_no_escape_sequences(user_scenarios, minimal_text, capsys):
    (user_scenarios / "hostile.yaml").write_text(
        minimal_text.replace("title: Mini leak", 'title: "Mini \\e[31mleak\\e]0;pwned\\a"'), encoding="utf-8"
    )
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "Mini leak" in out and not ACTING.search(out)
    broken = user_scenarios / "broken.yaml"  # the bidi override is legal YAML, and shown in the excerpt
    broken.write_text(minimal_text.replace("difficulty: 1", "difficulty: \u202e1x"), encoding="utf-8")
    assert main(["validate", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"{broken}:3:13: difficulty: Input should be a valid integer" in err and "1x" in err
    assert not ACTING.search(err)


def test_percentages_read_to_three_figures_and_whole_from_a_hundred():
    from scenarios.text import format_percent

    assert [format_percent(v) for v in (0.0, 0.0123, 6.885, 18.475, 99.96, 204.627, 1204.4)] == [
        "0",
        "0.0123",
        "6.88",
        "18.5",
        "100",
        "205",
        "1,204",
    ]
