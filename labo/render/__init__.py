"""HTML for executed examples: code and transcript in Material's markup, and error boxes.

Pure functions of their input (same input, same bytes), everything escaped, no script, nothing
loaded from elsewhere; the look lives in ``docs/assets/labo.css``.
"""

from labo.render.error import render_error
from labo.render.example import render_example

__all__ = ["render_error", "render_example"]
