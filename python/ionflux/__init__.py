"""ionflux: a DFN lithium-ion cell solver (placeholder; the package API is being written)."""
from . import _core

__version__ = _core.__version__
