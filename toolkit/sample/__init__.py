"""The synthetic sample archive: an organization trail with background activity and planted incidents.

`generator.write_archive(dir)` writes it; `incidents.answer_key(end_day, seed)` says what the
investigations must find in it.
"""
