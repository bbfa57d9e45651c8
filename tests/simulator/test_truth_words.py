"""The hidden truth in words: no ``None``, no braces, no Python booleans (simulator.reports.truth_words)."""

from __future__ import annotations

from simulator.reports.truth_words import action_words, fault_words, fields_words, value_words


def test_values_read_as_a_person_writes_them():
    assert value_words(True) == "yes" and value_words(False) == "no"
    assert value_words(1.0) == "1" and value_words(0.35) == "0.35" and value_words(150) == "150"
    assert value_words(["lhr-mcp", None, "sin-mcp"]) == "lhr-mcp, sin-mcp"
    assert value_words([]) == "none" and value_words({}) == "none" and value_words(None) == "-"
    assert value_words({"zones": ["a", "b"], "share": 1.0}) == "(zones=a, b; share=1)"


def test_unset_and_empty_fields_are_left_out():
    assert fields_words({"zone": None, "lasts": None, "evidence": [], "hang": "3s"}) == "hang=3s"
    assert fields_words({"a": 1, "b": 2}, skip=("a",), sep=": ") == "b: 2"


def test_a_fault_opens_with_what_where_and_when():
    zone = {"type": "zone_outage", "onset_s": 314.14, "service": None, "zone": "eu-1b", "lasts": None, "gray": False}
    assert fault_words(zone) == "zone_outage from 00:05:14 (zone=eu-1b, gray=no)"
    leak = {"type": "memory_leak", "service": "checkout", "onset_s": 0.0, "allocation_site": None}
    assert fault_words(leak) == "memory_leak on checkout from 00:00:00"


def test_an_action_reads_as_its_kind_then_its_fields():
    assert action_words({"action": "restart", "service": "cart", "mode": "all"}) == "restart service=cart, mode=all"
    assert action_words({"at": "8m", "action": "ack"}) == "ack"
    assert action_words({"action": "feature_flag", "flag": "f", "enabled": False}) == "feature_flag flag=f, enabled=no"
