"""
Sync engines: they read a roster through the Clever client and write it to the database.

`rows` holds the writes every engine shares (upserts keyed on `clever_id`, soft removal
of enrollments) and is the one writer of Section, Student, SectionTeacher and Enrollment
rows; each engine module (`teacher`: one teacher's roster with their own token or their
district's) fetches, then applies all or nothing. Engines know the client and the models,
never how a sync was asked for: recording runs and choosing credentials is
`rosters.services`' job. See docs/architecture.md.
"""
