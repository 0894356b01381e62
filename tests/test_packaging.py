"""The package layout: top-level folders map to ``yibao.*`` and the wheel carries grammar and regulations."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    (path,) = out.glob("yibao-*.whl")
    return path


def test_wheel_maps_folders_under_yibao_and_carries_data(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "yibao/cli.py",
        "yibao/grammar/yibao.lark",
        "yibao/compiler/parse.py",
        "yibao/runtime/settle.py",
        "yibao/lsp/server.py",
        "yibao/commands/fmt.py",
        "yibao/regulations/shandong/settlement-model.yb",
        "yibao/regulations/dongying/dongying-2018.yb",
        "yibao/regulations/dongying/dongying-2018.source.txt",
        "yibao/regulations/yantai/yantai-2023.source.txt",
    ):
        assert required in names
    assert not any(n.startswith(("compiler/", "runtime/", "grammar/", "regulations/")) for n in names)


def test_installed_wheel_compiles_without_a_checkout(wheel: Path, tmp_path: Path):
    # The unpacked wheel comes first on the path, ahead of the editable install of this checkout.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = (
        "import yibao.compiler.driver as d, yibao.runtime as r;"
        "res = d.compile_path(d.discover_regulations(None)[0]);"
        "assert res.ir is not None, res.diagnostics;"
        "print(d.__file__); print(r.__file__)"
    )
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    for line in proc.stdout.splitlines():
        assert line.startswith(str(site)), proc.stdout


def test_the_wheel_settles_the_contract_example_in_a_fresh_virtualenv(wheel: Path, tmp_path: Path):
    # A fresh venv with no pip and no system site-packages; the wheel goes in with --no-deps --no-index. Its
    # dependencies come from this environment's site-packages through a .pth line: a directory named in a .pth
    # file is put on the path but its own .pth files are not run, so the editable install of this checkout
    # (an import hook started from a .pth file there) stays out, and the script asserts it did.
    import site
    import sysconfig
    import venv

    from test_contract import contract_examples, load, matches

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    deps = sorted({sysconfig.get_paths()["purelib"], *site.getsitepackages()})
    Path(purelib, "yibao_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)
    (_, case, documented) = contract_examples()[0]
    (tmp_path / "case.json").write_text(case, encoding="utf-8")
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    where = subprocess.run([str(python), "-c", "import yibao.cli, lark; print(yibao.cli.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=clean)
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(purelib), where.stdout
    proc = subprocess.run([str(env_dir / "bin" / "yibao"), "settle", "case.json"], capture_output=True, text=True,
                          cwd=tmp_path, env=clean)
    assert proc.returncode == 0, proc.stderr
    matches(load(documented), load(proc.stdout))
