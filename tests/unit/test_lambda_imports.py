"""Function code imports only what Lambda will have: the standard library, the layers, boto3.

The local runtime runs functions on the project's virtualenv, which also holds the
dev tools (moto, pytest, ...). An import of one of those would work locally and
fail on Lambda; this test catches it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Import names of the layer's requirements (shared/requirements.txt) and of the Lambda runtime.
LAYER_AND_RUNTIME = {
    "aws_lambda_powertools",
    "pydantic",
    "pydantic_core",
    "typing_extensions",
    "typing_inspection",
    "annotated_types",
    "jmespath",
    "boto3",
    "botocore",
    "flexfleet",
    "aws_xray_sdk",
    "wrapt",
    # SnapStart's runtime hooks, in the python3.12+ managed runtimes.
    "snapshot_restore_py",
    # PyJWT with its crypto extra, for the WebSocket authorizer.
    "jwt",
    "cryptography",
    "cffi",
    "pycparser",
}
# Import names of the solver layer's requirements (layers/solver/requirements.txt), which only
# DispatchFunction takes: only the dispatch package may import them.
SOLVER_LAYER = {"numpy", "scipy"}
SOLVER_USERS = ROOT / "shared" / "flexfleet" / "dispatch"


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def runtime_imports(path: Path) -> set[str]:
    """The top-level modules a file imports when it runs (TYPE_CHECKING blocks left out)."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(n) for block in ast.walk(tree) if _is_type_checking_block(block) for n in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


# Distributions whose import name is not their own name.
IMPORT_NAMES = {"pyjwt": "jwt"}


def requirement_names(path: Path) -> set[str]:
    """The import names of a requirements file's distributions."""
    names = {
        line.split("==")[0].strip().replace("-", "_")
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    return {IMPORT_NAMES.get(name, name) for name in names}


def test_the_layer_requirements_are_the_ones_this_test_allows() -> None:
    assert requirement_names(ROOT / "shared" / "requirements.txt") <= LAYER_AND_RUNTIME
    assert requirement_names(ROOT / "layers" / "solver" / "requirements.txt") == SOLVER_LAYER


def test_functions_and_shared_code_import_nothing_lambda_lacks() -> None:
    files = [*ROOT.glob("functions/*/*.py"), *(ROOT / "shared" / "flexfleet").rglob("*.py")]
    allowed = LAYER_AND_RUNTIME | set(sys.stdlib_module_names) | {"__future__"}

    strays = {
        str(f.relative_to(ROOT)): sorted(
            runtime_imports(f)
            - allowed
            - (SOLVER_LAYER if f.is_relative_to(SOLVER_USERS) else set())
        )
        for f in files
    }

    assert files
    assert {f: s for f, s in strays.items() if s} == {}
