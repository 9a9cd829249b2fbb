"""
Named ids of the bundled demo roster (`sandbox/data/demo.json`), for tests and demos.

A test in tests/sandbox checks that each one is in the demo data with the role named here.
"""

DISTRICT = "4fd43cc56d11340000000005"  # "Demo District"
MAPLE_GROVE = "58da8c6ad3ef4f025409a101"  # Maple Grove Elementary School (K-5)
RIVERSIDE = "58da8c6ad3ef4f025409a102"  # Riverside High School (9-12)

# District-shared teachers.
ZOE_OBRIEN = "58da8c63d7dc0ca068000401"  # Zoë O'Brien, Riverside, math; co-teaches STEM Lab
JOSE_NUNEZ = "58da8c63d7dc0ca068000402"  # José Núñez, Riverside, science; co-teaches STEM Lab
RUTH_OKAFOR = "58da8c63d7dc0ca068000403"  # Ruth Okafor, Maple Grove, grade 3; has no email
LIAM_CHEN = "58da8c63d7dc0ca068000404"  # Liam Chen, Riverside, World History (120 students)
AMELIE_DUBOIS = "58da8c63d7dc0ca068000405"  # Amélie Dubois, both schools, French and Art

# Sections.
ALGEBRA_I = "5b2c569c7a68e00974580101"  # O'Brien, math, grade 9, 24 students
GEOMETRY = "5b2c569c7a68e00974580102"  # O'Brien, math, grade 10, 20 students
BIOLOGY = "5b2c569c7a68e00974580103"  # Núñez, science, grade 9, 24 students
STEM_LAB = "5b2c569c7a68e00974580104"  # co-taught by O'Brien (primary) and Núñez, 16 students
WORLD_HISTORY = "5b2c569c7a68e00974580105"  # Chen, social studies, 120 students (more than a page)
GRADE_3_HOMEROOM = "5b2c569c7a68e00974580106"  # Okafor, homeroom/advisory, 22 students
READING = "5b2c569c7a68e00974580107"  # Okafor, english/language arts, 12 students
FRENCH = "5b2c569c7a68e00974580108"  # Dubois, language, grade 5, at Maple Grove
ART = "5b2c569c7a68e00974580109"  # Dubois, arts and music, grade 10, at Riverside

MAYA_RODRIGUEZ = "5b2c569c7a68e0097457f079"  # a student in exactly two sections: Algebra I and Biology

# The Clever Library (teacher-shared: no district, no school).
PRIYA_RAMAN = "64f0e2876b100a053fbf9c01"  # Library teacher with two sections
HANNAH_MULLER = "64f0e2876b100a053fbf9c02"  # Library teacher with one section
READING_GROUP = "64f0e2906b100a053fc0a001"  # Raman, 8 students
MATH_CLUB = "64f0e2906b100a053fc0a002"  # Raman, 6 students
SCIENCE_EXPLORERS = "64f0e2906b100a053fc0a003"  # Müller, 7 students
LIBRARY_STUDENT = "64f0e2a16b100a053fc1b001"  # in Reading Group

# Admins (sign in as "non-teacher" user types).
SCHOOL_ADMIN = "5c1a7e3b9f4e2d0001a3c001"  # Carmen Ortiz, principal of Riverside
DISTRICT_ADMIN = "5c1a7e3b9f4e2d0001a3d001"  # Robert Fullerton, superintendent
