"""Packaging: pyproject.toml and environment.yml agree, and ``import vanishing`` stays light."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:                       # Python 3.10: the same parser, as a package
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sympy", "matplotlib", "ipywidgets")
LIGHT_MODULES = ["activations", "chain", "init", "mlp", "losses", "gradcheck", "optim", "train"]


def requirement(text):
    """'numpy >= 1.24' -> ('numpy', '>=1.24'): a normalised name and specifier without spaces."""
    m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*", text)
    assert m, f"cannot parse requirement {text!r}"
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    return name, m.group(2).replace(" ", "")


def pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def tiny_yaml(text):
    """Enough YAML for environment.yml: ``key: value`` lines, lists of ``- item`` under a key and one
    nested ``- pip:`` list. Used when PyYAML is not importable."""
    env, key, pip, pip_indent = {}, None, None, 0
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not line:
            continue
        indent, item = len(line) - len(line.lstrip()), line.strip()
        if indent == 0:
            key, _, value = item.partition(":")
            env[key] = value.strip() or []
            pip = None
        elif item == "- pip:":
            pip, pip_indent = [], indent
            env[key].append({"pip": pip})
        elif item.startswith("- "):
            (pip if pip is not None and indent > pip_indent else env[key]).append(item[2:].strip())
    return env


def environment():
    text = (ROOT / "environment.yml").read_text()
    try:
        import yaml
    except ModuleNotFoundError:
        return tiny_yaml(text)
    return yaml.safe_load(text)


def test_the_tiny_parser_reads_environment_yml_as_pyyaml_does():
    yaml = pytest.importorskip("yaml")
    text = (ROOT / "environment.yml").read_text()
    assert tiny_yaml(text) == yaml.safe_load(text)


def conda_requirements(env):
    return [d for d in env["dependencies"] if isinstance(d, str)]


def pip_section(env):
    sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(sections) == 1, "environment.yml needs exactly one pip: section"
    return sections[0]


def test_requirement_parser_separates_name_and_specifier():
    assert requirement("jupyterlab >= 4.2, <5") == ("jupyterlab", ">=4.2,<5")
    assert requirement("Scikit_Learn>=1.3") == ("scikit-learn", ">=1.3")
    assert requirement("pip") == ("pip", "")


def test_environment_yml_declares_the_same_runtime_and_dev_dependencies_as_pyproject():
    project = pyproject()["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    expected = dict(requirement(r) for r in declared)
    env = environment()
    conda = dict(requirement(r) for r in conda_requirements(env))
    pip_extras = dict(requirement(r) for r in pip_section(env) if not r.startswith("-"))
    conda.pop("python")
    conda.pop("pip")
    found = {**conda, **pip_extras}
    assert set(found) == set(expected), (set(found) ^ set(expected))
    for name, spec in expected.items():
        assert found[name] == spec, f"{name}: pyproject says {spec!r}, environment.yml says {found[name]!r}"


def test_environment_yml_installs_the_package_itself_in_editable_mode():
    assert "-e ." in [p.strip() for p in pip_section(environment())]


def test_the_crosscheck_extra_pins_one_exact_torch_and_stays_out_of_environment_yml():
    """The PyTorch cross-checks run against one tested version; conda / Binder users add that
    large download only on purpose (pip install -e ".[crosscheck]"), so environment.yml lacks it."""
    extra = [requirement(r) for r in pyproject()["project"]["optional-dependencies"]["crosscheck"]]
    assert len(extra) == 1 and extra[0][0] == "torch", extra
    assert re.fullmatch(r"==\d+\.\d+\.\d+", extra[0][1]), f"torch must be pinned exactly: {extra[0][1]!r}"
    env = environment()
    names = {requirement(r)[0] for r in conda_requirements(env) + pip_section(env) if not r.startswith("-")}
    assert not names & {"torch", "pytorch"}


def test_environment_python_satisfies_requires_python():
    env_python = dict(requirement(r) for r in conda_requirements(environment()))["python"]
    version = tuple(int(x) for x in re.search(r"(\d+(?:\.\d+)*)", env_python).group(1).split("."))
    minimum = pyproject()["project"]["requires-python"]
    assert minimum.startswith(">=")
    assert version >= tuple(int(x) for x in minimum[2:].split("."))


def test_package_version_matches_pyproject():
    import vanishing
    assert vanishing.__version__ == pyproject()["project"]["version"]


def loaded_after(statement):
    code = f"import sys; {statement}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return set(filter(None, result.stdout.strip().split(",")))


def test_import_vanishing_does_not_import_sympy_matplotlib_or_ipywidgets():
    assert loaded_after("import vanishing") == set()


def test_the_numerical_modules_do_not_import_the_heavy_libraries_either():
    imports = "; ".join(f"import vanishing.{m}" for m in LIGHT_MODULES)
    assert loaded_after(imports) == set()


def test_the_import_check_detects_a_heavy_import():
    """The check above can fail: the symbolic module does load sympy."""
    assert "sympy" in loaded_after("import vanishing.derive")
