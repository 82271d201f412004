# nbgrader for the course's grader account (the Hub service below runs as this user):
# ~grader-vanishing-2025/.jupyter/nbgrader_config.py. The course directory holds source/,
# release/, submitted/, autograded/, feedback/ and gradebook.db.
c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "vanishing-2025"
c.CourseDirectory.root = "/home/grader-vanishing-2025/vanishing-2025"
c.NbGrader.logfile = "/home/grader-vanishing-2025/nbgrader.log"
