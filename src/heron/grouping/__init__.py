"""Grouping: which issue an event belongs to (pure functions over canonical events).

Strategies are versioned; every stored hash is tied to the strategy id that made
it, so changing the default never regroups existing issues.
"""

from heron.grouping.api import STRATEGIES, Strategy, get_grouping
from heron.grouping.component import Component, md5_hex
from heron.grouping.enhancements import Enhancements, parse_enhancements
from heron.grouping.errors import GroupingError, GroupingRuleError, UnknownStrategyError
from heron.grouping.fingerprinting import FingerprintRules, parse_fingerprint_rules, rules_to_text
from heron.grouping.parameterize import parameterize
from heron.grouping.result import GROUPING_STRATEGY, GroupingConfig, GroupingResult, Variant

__all__ = [
    "GROUPING_STRATEGY",
    "STRATEGIES",
    "Component",
    "Enhancements",
    "FingerprintRules",
    "GroupingConfig",
    "GroupingError",
    "GroupingResult",
    "GroupingRuleError",
    "Strategy",
    "UnknownStrategyError",
    "Variant",
    "get_grouping",
    "md5_hex",
    "parameterize",
    "parse_enhancements",
    "parse_fingerprint_rules",
    "rules_to_text",
]
