"""The ``yibao`` command line. Each command family lives in ``yibao/commands/``; this module only gathers them.

Exit statuses follow the settlement contract: 0 all good; 1 some encounters (or examples) failed but
the output is complete; 2 the input or the rules cannot be used at all (then stdout is empty and stderr
names the file, the place and what was expected).
"""

from __future__ import annotations

import click

from yibao.commands import fmt, lsp, rules, settle, test


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yibao")
def main() -> None:
    """yibao：医保规定的规则语言、编译器和确定性运行时。"""


for command in (rules.compile_command, rules.check_command, settle.settle_command, settle.contribute_command,
                settle.explain_command, test.test_command, fmt.fmt_command,
                lsp.lsp_command):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
