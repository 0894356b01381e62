import pytest


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite the golden IR files from the current compiler")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture(autouse=True, scope="session")
def _private_ir_cache(tmp_path_factory):
    """The CLI's IR cache (yibao/commands/irstore.py) goes to a directory of this run, not the user's."""
    import os

    saved = os.environ.get("YIBAO_CACHE_DIR")
    os.environ["YIBAO_CACHE_DIR"] = str(tmp_path_factory.mktemp("ir-cache"))
    yield
    if saved is None:
        os.environ.pop("YIBAO_CACHE_DIR", None)
    else:
        os.environ["YIBAO_CACHE_DIR"] = saved
