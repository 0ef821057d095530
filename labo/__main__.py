"""``python -m labo`` — see ``labo.cli``."""

from labo.cli import main

raise SystemExit(main())
