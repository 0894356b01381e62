"""The CLI's command families, one module each; ``yibao/cli.py`` only gathers them into one group.

- ``common``: what every family shares (exit-2 failures, atomic output, compiling and loading the rules);
- ``rules``: ``compile`` and ``check``;
- ``settle``: ``settle``, ``contribute`` and ``explain``;
- ``test``: ``test`` (worked examples and conformance cases);
- ``fmt``: ``fmt`` (the formatter, ``compiler/format.py``);
- ``lsp``: ``lsp`` (the language server, ``yibao/lsp/``).
"""
