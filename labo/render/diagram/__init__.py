"""The « Schéma » tab: a sequence diagram drawn at build time from an example's transcript.

``steps`` reads the transcript into rows (``participants`` names the lifelines), ``svg`` draws
them, ``description`` says them in words, ``block`` puts the three together.
"""

from labo.render.diagram.block import LABEL, render_diagram

__all__ = ["LABEL", "render_diagram"]
