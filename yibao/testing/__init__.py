"""yibao.testing: running a regulation's worked examples (``yibao test``), on the tooling side of the runtime.

The runtime (``yibao.runtime``) is what an embedder ships; running the examples beside the clauses is
what the rule author's tools do, so it lives here and the runtime never imports it.

    from yibao.testing import run_examples
    for outcome in run_examples(regulation):    # settlement examples, then contribution examples
        print(outcome.title, outcome.passed, outcome.describe_failures())
"""

from __future__ import annotations

from .contribution_examples import run_contribution_examples
from .examples import run_example, run_settlement_examples
from .results import ExampleResult, Mismatch

__all__ = ["run_examples", "run_example", "run_settlement_examples", "run_contribution_examples", "ExampleResult",
           "Mismatch"]


def run_examples(regulation, versions: tuple = ()) -> list[ExampleResult]:
    """Every worked example: settlement ones, then those of the contribution section (if any). ``versions``: the
    region's other versions, which settle (or compute) the encounters and months dated in their periods."""
    return run_settlement_examples(regulation, versions) + run_contribution_examples(regulation, versions)
