"""teaching/: the JupyterHub and nbgrader configuration snippets the README's teaching section gives.

What can be checked without a Hub: each file loads as a traitlets configuration file (the loader
JupyterHub and nbgrader use); every nbgrader setting names a real, configurable trait of nbgrader
0.9's classes, with a value that trait accepts; the JupyterHub file's groups, roles and service fit
together and follow nbgrader's naming (formgrade-<course>, nbgrader-<course>, a service named after
the course) for the course id the nbgrader files use. With JupyterHub importable, its settings are
also checked against JupyterHub's own traits.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent
TEACHING = ROOT / "teaching"
NBGRADER_FILES = ["nbgrader_config.py", "grader_nbgrader_config.py"]


def load(name: str):
    return PyFileConfigLoader(name, path=str(TEACHING)).load_config()


def nbgrader_classes() -> dict[str, list[type]]:
    """Section name -> the configurable classes that answer to it (a class or any of its bases):
    the nbgrader app's classes, and the default (directory) exchange that ExchangeFactory picks."""
    import nbgrader.exchange.default as exchange
    from nbgrader.apps.nbgraderapp import NbGraderApp

    defaults = [getattr(exchange, name) for name in exchange.__all__]
    sections: dict[str, list[type]] = {}
    for cls in [*NbGraderApp().all_configurable_classes(), *defaults]:
        for base in cls.__mro__:
            sections.setdefault(base.__name__, []).append(cls)
    return sections


def settings(config):
    return [(section, name, value) for section, traits in config.items() for name, value in traits.items()]


def check_against(classes: dict[str, list[type]], config):
    """Every (section, trait) exists and is configurable; the value validates against the trait."""
    for section, name, value in settings(config):
        assert section in classes, f"{section} is not a configurable class"
        owners = [cls for cls in classes[section] if name in cls.class_traits(config=True)]
        assert owners, f"{section}.{name} is not a configurable trait"
        trait = owners[0].class_traits(config=True)[name]
        trait.validate(None, value)                # raises TraitError for a value of the wrong kind


@pytest.mark.parametrize("name", NBGRADER_FILES)
def test_nbgrader_snippet_sets_only_real_nbgrader_traits(name):
    config = load(name)
    assert settings(config), f"{name} sets nothing"
    check_against(nbgrader_classes(), config)


def test_the_trait_check_rejects_a_misspelt_setting(tmp_path):
    (tmp_path / "bad_config.py").write_text('c = get_config()\nc.Exchange.rooot = "/srv"\n')
    bad = PyFileConfigLoader("bad_config.py", path=str(tmp_path)).load_config()
    with pytest.raises(AssertionError, match="Exchange.rooot is not a configurable trait"):
        check_against(nbgrader_classes(), bad)


def test_global_nbgrader_config_points_everyone_at_one_exchange_with_hub_courses():
    from nbgrader.auth import JupyterHubAuthPlugin

    config = load("nbgrader_config.py")
    assert config.Exchange.root.startswith("/")
    assert config.Exchange.path_includes_course is True
    assert config.Authenticator.plugin_class is JupyterHubAuthPlugin


def course_id() -> str:
    ids = {load(name).CourseDirectory.course_id for name in NBGRADER_FILES}
    assert len(ids) == 1, f"the nbgrader snippets name different courses: {ids}"
    return ids.pop()


def test_hub_groups_roles_and_service_fit_together_for_the_course():
    course = course_id()
    hub = load("jupyterhub_config.py").JupyterHub
    (service,) = hub.services
    grader = load("grader_nbgrader_config.py")

    assert service["name"] == course, "nbgrader finds the formgrader as the service named after the course"
    assert service["command"][0] == "jupyterhub-singleuser" and service["url"].startswith("http://127.0.0.1:")
    assert grader.CourseDirectory.root.startswith(service["cwd"] + "/"), "the service runs in the course's home"
    assert set(hub.load_groups) == {f"formgrade-{course}", f"nbgrader-{course}"}
    assert service["user"] in hub.load_groups[f"formgrade-{course}"]["users"]

    roles = {role["name"]: role for role in hub.load_roles}
    for role in roles.values():
        assert set(role.get("groups", [])) <= set(hub.load_groups), f"role {role['name']} names an unknown group"
    assert f"access:services!service={course}" in roles[f"formgrade-{course}"]["scopes"]
    assert f"read:services!service={course}" in roles[f"nbgrader-{course}"]["scopes"]
    assert roles["server"]["scopes"] == ["inherit"]


def test_hub_snippet_sets_only_real_jupyterhub_traits():
    jupyterhub_app = pytest.importorskip("jupyterhub.app")
    check_against({"JupyterHub": [jupyterhub_app.JupyterHub]}, load("jupyterhub_config.py"))
