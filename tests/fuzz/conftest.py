import fuzzkit


def pytest_terminal_summary(terminalreporter):
    if fuzzkit.TRIED:
        terminalreporter.write_line(fuzzkit.report())
