"""A scripted new-user trial: every README code block, every command of the README and of
docs/experiments.md, and every example of every ``--help`` text, run as written.

Commands run through the real entry point (``ldlkit.cli.main``) in a temporary folder holding
``mydata.mat`` (the "file of your own" the examples name, made from the artificial data).
Commands and code that need a benchmark file skip when it is not found (set ``LDLKIT_DATA``).
The only change made to a command is the one the README itself offers for long runs: a
``reproduce NAME`` of a full paper protocol runs with ``--dry-run``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
from pathlib import Path

import pytest
import scipy.io

from ldlkit.cli import build_parser, main
from ldlkit.datasets import find_dataset_file, get_dataset_info, make_artificial

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXPERIMENTS_DOC = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")


def _code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def _commands(text: str) -> list[str]:
    """Every ``ldlkit ...`` line of the text's bash blocks, comments and ``pip ... &&`` removed."""
    commands = []
    for block in _code_blocks(text, "bash"):
        block = block.replace("\\\n", " ")
        for line in block.splitlines():
            line = line.split("&&")[-1].strip()
            line = re.split(r"\s+#", line)[0].strip()
            if line.startswith("ldlkit "):
                commands.append(line)
    return commands


def _help_examples() -> list[str]:
    """The ``examples:`` lines of the main parser's epilog and of every subcommand's."""
    examples = []

    def visit(parser):
        in_examples = False
        for line in (parser.epilog or "").splitlines():
            if not line.strip():
                in_examples = False
            elif line.strip() == "examples:":
                in_examples = True
            elif in_examples:
                line = re.split(r"\s+#", line.strip())[0].strip()
                assert line.startswith("ldlkit "), f"{parser.prog}: {line!r} is not a command"
                examples.append(line)
        for action in parser._actions:
            if hasattr(action, "choices") and isinstance(action.choices, dict):
                for sub in action.choices.values():
                    visit(sub)

    visit(build_parser())
    return examples


def _missing_real_data(argv: list[str]) -> str | None:
    """The first benchmark dataset the command names that is not on this machine."""
    for token in argv:
        if token.lower() == "artificial" or token.startswith("-"):
            continue
        try:
            name = get_dataset_info(token).name
        except ValueError:
            continue
        if find_dataset_file(name) is None:
            return name
    return None


@pytest.fixture
def trial_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, D = make_artificial(60, random_state=1)
    scipy.io.savemat(tmp_path / "mydata.mat", {"features": X, "labels": D})
    return tmp_path


def _run_all(commands: list[str], capsys, *, long_reproductions_dry: bool = False) -> list[str]:
    """Run each command; return those skipped for want of a benchmark file."""
    skipped, produced_by_skipped = [], set()
    for command in commands:
        argv = shlex.split(command)[1:]
        missing = _missing_real_data(argv)
        folder = argv[1] if argv[:1] == ["report"] else None
        if missing or (folder and folder.rstrip("/") in produced_by_skipped):
            skipped.append(command)
            if "--out" in argv:
                produced_by_skipped.add(argv[argv.index("--out") + 1].rstrip("/"))
            continue
        if "--plot" in argv and importlib.util.find_spec("matplotlib") is None:
            # A base install: the command must name the extra to install, in one line.
            assert main(argv) == 2, f"`{command}` without matplotlib"
            assert "pip install 'ldlkit[plot]'" in capsys.readouterr().err
            continue
        if (
            long_reproductions_dry
            and argv[:1] == ["reproduce"]
            and len(argv) == 2
            and not argv[1].startswith("-")
        ):
            argv.append("--dry-run")  # the README offers it for the full protocols
        status = main(argv)
        captured = capsys.readouterr()
        if status == 2 and importlib.util.find_spec("torch") is None:
            # A base install: a command with torch methods names the extra, in one line.
            assert "pip install 'ldlkit[torch]'" in captured.err, captured.err
            assert len(captured.err.strip().splitlines()) == 1, captured.err
            continue
        assert status == 0, f"`{command}` exited with {status}: {captured.err}"
        assert "Traceback" not in captured.err
    return skipped


def _skip_for(skipped: list[str]) -> None:
    """Skip for missing benchmark files, or fail where CI requires them (LDLKIT_REQUIRE_DATA)."""
    if not skipped:
        return
    message = f"benchmark files not found for: {'; '.join(skipped)} (set LDLKIT_DATA)"
    if os.environ.get("LDLKIT_REQUIRE_DATA", "") not in ("", "0"):
        pytest.fail(message)
    pytest.skip(message)


def test_the_readme_says_how_to_shorten_long_runs():
    assert "`--dry-run`" in README and "`--folds 2 --repeats 1`" in README


@pytest.mark.slow  # about 30 s with the benchmark files (two real-data runs)
def test_every_readme_command_runs(trial_folder, capsys):
    commands = _commands(README)
    assert "ldlkit run" in commands and "ldlkit reproduce --list" in commands
    skipped = _run_all(commands, capsys, long_reproductions_dry=True)
    assert (trial_folder / "mydata.mat").is_file()
    _skip_for(skipped)


@pytest.mark.slow  # about 20 s with the benchmark files
def test_every_experiments_doc_command_runs(trial_folder, capsys):
    commands = _commands(EXPERIMENTS_DOC)
    assert len(commands) >= 8
    skipped = _run_all(commands, capsys)
    _skip_for(skipped)


def test_every_help_example_runs(trial_folder, capsys):
    examples = _help_examples()
    # The examples the issue found broken are among those checked.
    assert any("--methods AAKNN:k=4" in e for e in examples)
    assert not any("metric=cosine" in e for e in examples)
    skipped = _run_all(examples, capsys)
    _skip_for(skipped)


def test_every_readme_python_block_runs(trial_folder, monkeypatch):
    blocks = _code_blocks(README, "python")
    assert len(blocks) >= 3
    _skip_for([n for n in ("SJAFFE", "M2B") if find_dataset_file(n) is None])
    namespace: dict = {"__name__": "__readme__"}
    for block in blocks:  # one session: later blocks use the earlier blocks' names
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["P"].shape[1] == 6
    assert (trial_folder / "uaknn.joblib").is_file() and (trial_folder / "results").is_dir()
