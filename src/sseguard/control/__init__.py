"""The control: its metadata (ids, codes, mappings) and the one decision function."""

from sseguard.control.codes import CODES, CONTROL_ID, ReasonCode, get_code
from sseguard.control.evaluate import evaluate

__all__ = ["CODES", "CONTROL_ID", "ReasonCode", "evaluate", "get_code"]
