"""The language server, ``yibao lsp`` (optional extra ``lsp``: pygls 2).

- ``analysis``: what the server knows about a rule file, in the compiler's positions (code points);
- ``server``: the pygls glue, position conversion to the client's UTF-16, and keeping alive.
"""
