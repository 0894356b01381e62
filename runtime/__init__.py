"""yibao.runtime: evaluates yibao IR on settlement and contribution cases. Standard library only; never imports the
compiler or lark.

Embedding::

    from yibao.runtime import Engine, load, load_case_text, dumps_output, CaseError

    engine = Engine([load(path="dongying-2018.ir.json")])   # load once (parses, checks sha256, compiles)
    try:
        result = engine.settle(load_case_text(text, "case.json"), trace=False)   # settle many
    except CaseError as exc:                                  # the input cannot be used: exit status 2
        print(exc, file=sys.stderr)
    else:
        sys.stdout.write(dumps_output(result.output))         # the contract's JSON, exact to the fen
        status = result.status                                # 0 all settled, 1 some encounter has an error

Contributions (docs/contract.md section 2) use the same regulations::

    contributions = ContributionEngine(engine.regulations())
    result = contributions.contribute(load_case_text(text, "case.json"))   # CaseError as above
    sys.stdout.write(dumps_output(result.output))         # undetermined outputs are null, status still 0

The slip: ``explain(result, engine)`` (the engine, or the Regulation, whose articles it cites).
Running a regulation's worked examples is the rule author's tooling: ``yibao.testing.run_examples``.
"""

from .case import CaseError, load_case_text
from .contribute import ContributionEngine, ContributionResult, contribution_program
from .explain import explain
from .ir import CannotSettle, IRError
from .jsonout import dumps_output
from .messages import CODES as ERROR_CODES
from .settle import Engine, Regulation, SettleResult, load

__all__ = ["load", "Engine", "Regulation", "SettleResult", "CaseError", "IRError", "CannotSettle", "dumps_output", "load_case_text",
           "explain", "ERROR_CODES",
           "ContributionEngine", "ContributionResult", "contribution_program"]
