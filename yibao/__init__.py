"""yibao: a declarative rule language for Chinese medical-insurance regulations.

``yibao.compiler`` turns rule files into IR; ``yibao.runtime`` evaluates IR on claims and needs neither
the compiler nor lark. ``yibao.regulations`` holds the bundled rule files.
"""

__version__ = "0.1.0"
