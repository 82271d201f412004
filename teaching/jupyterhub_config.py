# JupyterHub: the formgrader as a Hub service, and the groups and roles nbgrader relies on.
# TLJH: save as /opt/tljh/config/jupyterhub_config.d/nbgrader.py and run `sudo tljh-config reload`.
# Z2JH: paste the body into the Helm chart's values under hub.extraConfig.nbgrader.
# Group names are nbgrader's convention: formgrade-<course> (graders), nbgrader-<course> (students).
c = get_config()  # noqa: F821  (defined by the traitlets config loader)

course = "vanishing-2025"
grader = f"grader-{course}"                      # a service account that owns the course directory
instructors = ["instructor1"]
students = ["student1", "student2"]              # or add them later in the admin page / API

c.JupyterHub.load_groups = {
    f"formgrade-{course}": {"users": [*instructors, grader]},
    f"nbgrader-{course}": {"users": students},
}

c.JupyterHub.load_roles = [
    # graders may open the formgrader service
    {"name": f"formgrade-{course}", "groups": [f"formgrade-{course}"],
     "scopes": [f"access:services!service={course}"]},
    # students' Assignments tab finds the course through the services API
    {"name": f"nbgrader-{course}", "groups": [f"nbgrader-{course}"],
     "scopes": ["list:services", f"read:services!service={course}"]},
    # a user's server acts with its owner's permissions (nbgrader asks the Hub for the groups)
    {"name": "server", "scopes": ["inherit"]},
]

# The formgrader: a Jupyter server run by the Hub as the grader account, reachable at
# /services/vanishing-2025/ for the members of formgrade-vanishing-2025.
c.JupyterHub.services = [
    {
        "name": course,
        "url": "http://127.0.0.1:9999",
        "command": ["jupyterhub-singleuser", "--debug"],
        "user": grader,
        "cwd": f"/home/{grader}",
        "environment": {"JUPYTERHUB_DEFAULT_URL": "/lab"},   # the Hub makes its API token
    },
]
