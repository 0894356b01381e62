"""Tooling that runs the cities side by side: claim generation (synth), comparison (compare), the parameter
matrix (matrix) and the province invariants (invariants). It reads compiled IR dicts and settles through the
runtime's public API only (Engine, Regulation.from_ir, load_case_text, dumps_output)."""
