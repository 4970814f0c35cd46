"""Library linking writes each address at the artifact's offsets and refuses anything it cannot link."""

from __future__ import annotations

import pytest

from scripts.aave import POOL_LIBRARIES, aave_artifact, link_bytecode

PLACEHOLDER = "__$" + "ab" * 17 + "$__"
LIB_A = "0x" + "11" * 20
LIB_B = "0x" + "Cd" * 20


def _code() -> tuple[str, dict]:
    # 3 bytes, A's placeholder, 2 bytes, B's placeholder, A's placeholder again, 1 byte
    code = "0x" + "600060" + PLACEHOLDER + "5050" + PLACEHOLDER + PLACEHOLDER + "00"
    refs = {
        "src/A.sol": {"A": [{"start": 3, "length": 20}, {"start": 45, "length": 20}]},
        "src/B.sol": {"B": [{"start": 25, "length": 20}]},
    }
    return code, refs


def test_link_bytecode__all_references__replaced_with_lowercase_addresses():
    code, refs = _code()
    linked = link_bytecode(code, refs, {"A": LIB_A, "B": LIB_B})
    assert linked == "0x600060" + "11" * 20 + "5050" + "cd" * 20 + "11" * 20 + "00"
    assert len(linked) == len(code)


def test_link_bytecode__no_references__returns_code_unchanged():
    assert link_bytecode("0x6000", {}, {}) == "0x6000"


def test_link_bytecode__missing_library_address__raises():
    code, refs = _code()
    with pytest.raises(ValueError, match="no address was given for B"):
        link_bytecode(code, refs, {"A": LIB_A})


def test_link_bytecode__offset_not_at_placeholder__raises():
    code, refs = _code()
    refs["src/B.sol"]["B"][0]["start"] = 24
    with pytest.raises(ValueError, match="no library placeholder for B at byte 24"):
        link_bytecode(code, refs, {"A": LIB_A, "B": LIB_B})


def test_link_bytecode__placeholder_without_reference__raises():
    code, refs = _code()
    del refs["src/B.sol"]
    with pytest.raises(ValueError, match="unlinked placeholder"):
        link_bytecode(code, refs, {"A": LIB_A})


def test_link_bytecode__malformed_address__raises():
    code, refs = _code()
    with pytest.raises(ValueError, match="not 20 bytes of hex"):
        link_bytecode(code, refs, {"A": LIB_A, "B": "0x1234"})


def test_link_bytecode__aave_pool_artifact__links_to_valid_hex_of_same_length():
    art = aave_artifact("Pool")
    addresses = {name: f"0x{i + 1:040x}" for i, name in enumerate(POOL_LIBRARIES)}
    linked = link_bytecode(art["bytecode"], art["link_references"], addresses)
    assert len(linked) == len(art["bytecode"])
    bytes.fromhex(linked[2:])  # every placeholder is gone
    assert f"{2:040x}" in linked  # BorrowLogic's address is in the code
