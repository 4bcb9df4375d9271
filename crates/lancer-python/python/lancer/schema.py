"""Schemas with Lance field ids (pylance's ``lance.schema``)."""

from ._lancer import LanceField, LanceSchema

__all__ = ["LanceField", "LanceSchema"]
