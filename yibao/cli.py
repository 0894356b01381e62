"""The ``yibao`` command line. Each command family lives in ``yibao/commands/``; this module only gathers them.

Exit statuses follow the settlement contract: 0 all good; 1 some encounters (or examples) failed but
the output is complete; 2 the input or the rules cannot be used at all (then stdout is empty and stderr
names the file, the place and what was expected).
"""

from __future__ import annotations

import click

from yibao.commands import compare, diff, fmt, lsp, matrix, report, rules, settle, synth, test


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yibao")
def main() -> None:
    """yibao：医保规定的规则语言、编译器和确定性运行时。"""


# one command a line, so that adding a family touches one line
COMMANDS = (
    rules.compile_command,
    rules.check_command,
    fmt.fmt_command,
    settle.settle_command,
    settle.contribute_command,
    settle.explain_command,
    test.test_command,
    synth.synth_command,
    compare.compare_command,
    matrix.matrix_command,
    diff.diff_command,
    report.report_command,
    lsp.lsp_command,
)
for command in COMMANDS:
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
