"""Changes between two versions of the rules: the semantic diff, its impact on a claim set, and the report."""
