"""Running examples: find them, run them in worker processes against the lab, compare with approval.

``labo.runner.example`` names and validates an example file, ``execute`` runs one inside a worker,
``pool`` keeps the workers (time limit, replacement of hung ones), ``limits`` says how long an
example may run, ``approval`` compares a fresh transcript with the committed one, ``cache`` lets
``mkdocs serve`` reuse unchanged results.
"""
