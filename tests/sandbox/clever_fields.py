"""
Clever's record fields, written out by hand for the conformance tests.

Checked by a person, field by field, against Clever's published OpenAPI files (`v2.0.yml`,
`v2.1.yml`, `v2.0-identity.yml` of Clever/swagger-api) and clever-api.md §2-§4 and §7, and
kept here as literals so that the tests never trust the sandbox's own transcription
(sandbox/schema.py, which the sandbox also uses to accept rosters). When the published files
sit beside the repository, test_conformance also compares these lists with them.

Clever's definitions mark no field required; REQUIRED is what clever-api.md lists without a
"?" for every district-shared record, LIBRARY_* what Clever shares with Library apps (§7).
"""

VERSIONS = ("v2.0", "v2.1")

# --- Field names -------------------------------------------------------------------------------

FIELDS_V20 = {
    "districts": {
        "id", "name", "sis_type", "state", "launch_date", "last_sync", "error", "mdr_number", "nces_id",
        "pause_start", "pause_end",
    },
    "schools": {
        "id", "district", "name", "school_number", "sis_id", "created", "last_modified", "low_grade",
        "high_grade", "location", "principal", "phone", "state_id", "nces_id", "mdr_number",
    },
    "teachers": {
        "id", "district", "school", "schools", "created", "last_modified", "name", "email", "sis_id",
        "state_id", "teacher_number", "title", "credentials",
    },
    "students": {
        "id", "district", "school", "schools", "created", "last_modified", "name", "sis_id", "credentials",
        "dob", "email", "gender", "grade", "graduation_year", "hispanic_ethnicity", "ell_status", "race",
        "location", "state_id", "student_number",
    },
    "sections": {
        "id", "district", "school", "created", "last_modified", "name", "sis_id", "subject", "students",
        "teachers", "teacher", "course", "term_id", "grade", "period", "section_number",
    },
    "school_admins": {"id", "district", "name", "email", "schools", "staff_id", "title", "credentials"},
    "district_admins": {"id", "district", "name", "email", "title"},
}  # fmt: skip
V21_ADDED = {
    "districts": {"login_methods", "portal_url", "district_contact"},
    "schools": {"ext"},
    "teachers": {"ext"},
    "students": {"ext", "enrollments"},
    "sections": {"ext"},
    "school_admins": {"ext", "department"},
    "district_admins": set(),
}

# Fields of the objects inside records.
NAME = {"first", "middle", "last"}
ADMIN_NAME = {"first", "last"}  # admins' names have no middle (since Feb 2020)
CREDENTIALS = {"district_username"}
LOCATION = {"address", "city", "state", "zip", "lat", "lon"}
PRINCIPAL = {"name", "email"}
SCHOOL_ENROLLMENT = {"school", "start_date", "end_date"}

# --- Nullable fields (x-nullable); everything else must not be null ----------------------------

NULLABLE_V20 = {
    "districts": {"last_sync", "mdr_number", "nces_id", "pause_start", "pause_end"},
    "schools": {"low_grade", "high_grade", "location", "mdr_number", "nces_id", "phone", "state_id"},
    "teachers": {"credentials", "email", "state_id", "teacher_number", "title"},
    "students": {
        "dob", "ell_status", "email", "gender", "grade", "graduation_year", "hispanic_ethnicity", "location",
        "race", "state_id", "student_number",
    },
    "sections": {"course", "grade", "period", "section_number", "teacher", "term_id"},
    "school_admins": {"title"},
    "district_admins": {"name", "title"},
}  # fmt: skip
NULLABLE_V21_ADDED = {
    "districts": {"state", "district_contact"},
    "sections": {"subject"},
    "school_admins": {"department"},
}

# --- Enums -------------------------------------------------------------------------------------

GRADES_V20 = (
    "PreKindergarten", "Kindergarten", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
    "PostGraduate", "Other",
)  # fmt: skip
GRADES_V21 = (
    "InfantToddler", "Preschool", "PreKindergarten", "TransitionalKindergarten", "Kindergarten",
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "PostGraduate", "Ungraded", "Other", "",
)  # fmt: skip
SUBJECTS_V20 = (
    "english/language arts", "math", "science", "social studies", "language", "homeroom/advisory",
    "interventions/online learning", "technology and engineering", "PE and health", "arts and music", "other",
)  # fmt: skip
SUBJECTS_V21 = (*SUBJECTS_V20, "")
YES_NO = ("Y", "N", "")
RACES = (
    "Caucasian", "Asian", "Black or African American", "American Indian", "Hawaiian or Other Pacific Islander",
    "Two or More Races", "Unknown", "",
)  # fmt: skip
DISTRICT_STATES_V20 = ("running", "pending", "error", "paused", "success")

ENUMS_V20 = {
    ("schools", "low_grade"): GRADES_V20,
    ("schools", "high_grade"): GRADES_V20,
    ("students", "grade"): GRADES_V20,
    ("sections", "grade"): GRADES_V20,
    ("sections", "subject"): SUBJECTS_V20,
    ("students", "gender"): ("M", "F", ""),
    ("students", "ell_status"): YES_NO,
    ("students", "hispanic_ethnicity"): YES_NO,
    ("students", "race"): RACES,
    ("districts", "state"): DISTRICT_STATES_V20,
}
ENUMS = {
    "v2.0": ENUMS_V20,
    "v2.1": ENUMS_V20
    | {
        ("schools", "low_grade"): GRADES_V21,
        ("schools", "high_grade"): GRADES_V21,
        ("students", "grade"): GRADES_V21,
        ("sections", "grade"): GRADES_V21,
        ("sections", "subject"): SUBJECTS_V21,
        ("students", "gender"): ("M", "F", "X", ""),
        ("districts", "state"): (*DISTRICT_STATES_V20, ""),
    },
}

# --- Formats -----------------------------------------------------------------------------------

DATETIMES = {
    "districts": {"launch_date", "last_sync", "pause_start", "pause_end"},
    "schools": {"created", "last_modified"},
    "teachers": {"created", "last_modified"},
    "students": {"created", "last_modified"},
    "sections": {"created", "last_modified"},
}
LISTS = {"schools", "teachers", "students", "login_methods", "enrollments"}  # lists of ids (or enrollments)
OBJECTS = {"name", "credentials", "location", "principal", "ext", "district_contact"}
NAMED_BY_A_STRING = {"districts", "schools", "sections"}  # a person's name is an object; these are strings

# --- What every record carries ------------------------------------------------------------------

REQUIRED = {
    "districts": {"id", "name"},
    "schools": {"id", "district", "name", "sis_id", "created", "last_modified"},
    "teachers": {"id", "district", "school", "schools", "name", "sis_id", "created", "last_modified"},
    "students": {"id", "district", "school", "schools", "name", "sis_id", "created", "last_modified"},
    "sections": {"id", "district", "school", "name", "sis_id", "teachers", "students", "created", "last_modified"},
    "school_admins": {"id", "district", "name", "schools"},
    "district_admins": {"id", "district"},
}

# The Clever Library (records without a district): only these fields, the first ones always.
LIBRARY_FIELDS = {
    "teachers": {"id", "name", "email"},
    "sections": {"id", "name", "section_number", "subject", "grade", "teacher", "teachers", "students"},
    "students": {"id", "name", "grade"},  # name: first and the last name's initial only
}
LIBRARY_REQUIRED = {
    "teachers": {"id", "name"},
    "sections": {"id", "name", "teachers", "students"},
    "students": {"id", "name"},
}

# --- /me and links -----------------------------------------------------------------------------

ME_FIELDS = {"v2.0": {"id", "district", "type"}, "v2.1": {"id", "district", "type", "authorized_by"}}
ME_TYPES = ("teacher", "student", "school_admin", "district_admin", "district")
AUTHORIZED_BY = ("district", "teacher")  # "teacher" for the Library: NOT CONFIRMED (clever-api.md §2.2)
LIST_LINK_RELS = ("self", "next", "prev")
ME_LINK_RELS = ("self", "canonical", "district")
