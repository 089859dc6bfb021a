"""Communitas: resilient emergency governance of urban communities."""

__version__ = "0.1.0"
__all__ = ["__version__"]
