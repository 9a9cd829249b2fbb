"""Write a generated sandbox roster (JSON) for load tests and demos."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sandbox.generate import generate_roster


class Command(BaseCommand):
    help = (
        "Generate a large roster for the Clever sandbox, in the format CLEVER_SANDBOX_DATA reads: "
        "one district, deterministic for a seed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--teachers", type=int, default=10, help="District teachers (default 10).")
        parser.add_argument(
            "--sections-per-teacher", type=int, default=3, help="Sections each teacher teaches (default 3)."
        )
        parser.add_argument(
            "--students-per-section", type=int, default=25, help="Students in each section, all distinct (default 25)."
        )
        parser.add_argument(
            "--students",
            type=int,
            default=None,
            help="District students in all, shared out among the sections of their school, so a student "
            "sits in several sections (default: every seat its own student).",
        )
        parser.add_argument("--schools", type=int, default=None, help="Schools (default: one per 25 teachers).")
        parser.add_argument(
            "--library-teachers", type=int, default=0, help="Clever Library teachers (no district) to add (default 0)."
        )
        parser.add_argument("--seed", type=int, default=0, help="Random seed; the same seed gives the same roster.")
        parser.add_argument("-o", "--output", help="Write to this file instead of standard output.")

    def handle(self, *args, **options):
        counts = ("teachers", "sections_per_teacher", "students_per_section", "library_teachers")
        for name in counts:
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} cannot be negative")
        if options["students"] is not None and options["students"] < 0:
            raise CommandError("--students cannot be negative")
        if options["schools"] is not None and options["schools"] < 1:
            raise CommandError("--schools must be at least 1")
        roster = generate_roster(
            teachers=options["teachers"],
            sections_per_teacher=options["sections_per_teacher"],
            students_per_section=options["students_per_section"],
            schools=options["schools"],
            library_teachers=options["library_teachers"],
            students=options["students"],
            seed=options["seed"],
        )
        text = json.dumps(roster, ensure_ascii=False, separators=(",", ":"))
        if not options["output"]:
            self.stdout.write(text)
            return
        path = Path(options["output"])
        try:
            path.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}") from None
        summary = ", ".join(f"{len(roster[kind])} {kind}" for kind in ("schools", "teachers", "sections", "students"))
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}: {summary}."))
