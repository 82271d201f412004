# nbgrader on JupyterHub: the global configuration every user's server reads.
# Install as /etc/jupyter/nbgrader_config.py in the single-user image (Z2JH: bake it into the image
# or mount it from a ConfigMap; TLJH: /opt/tljh/user/etc/jupyter/nbgrader_config.py).
# The exchange must be one shared directory mounted at the same path in every user's server
# (an NFS or other ReadWriteMany volume on Kubernetes), writable by all users.
from nbgrader.auth import JupyterHubAuthPlugin

c = get_config()  # noqa: F821  (defined by the traitlets config loader)

c.Exchange.root = "/srv/nbgrader/exchange"
c.Exchange.path_includes_course = True          # one exchange, several courses side by side
c.Authenticator.plugin_class = JupyterHubAuthPlugin   # courses from the groups nbgrader-<course>

# Everyone works in this course unless their own ~/.jupyter/nbgrader_config.py says otherwise.
c.CourseDirectory.course_id = "vanishing-2025"

# Grading: bounded cells, and a log file for the submissions that fail.
c.ExecutePreprocessor.timeout = 60              # seconds per cell
c.OverwriteCells.add_missing_cells = True       # a deleted test cell is put back before grading
