// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @title CodeStore
/// @notice Keeps a blob of rarely-written, often-read data as the runtime code of a tiny contract. Reading it back
///         costs one cold account access plus 3 gas a word, instead of 2,100 gas per cold storage slot: the vault
///         reads its whole asset registry on every deposit and exit, and writes it only on governance changes.
/// @dev The stored code starts with a STOP byte so a call to the data contract does nothing.
library CodeStore {
    error CodeStoreWriteFailed(uint256 sizeBytes);

    /// @notice Deploys `data` as code and returns where it lives.
    function write(bytes memory data) internal returns (address pointer) {
        bytes memory runtime = abi.encodePacked(hex"00", data);
        // Init code (14 bytes): PUSH4 len, DUP1, PUSH1 14, PUSH1 0, CODECOPY, PUSH1 0, RETURN, then the runtime.
        bytes memory creation =
            abi.encodePacked(hex"63", uint32(runtime.length), hex"80600e6000396000f3", runtime);
        assembly ("memory-safe") {
            pointer := create(0, add(creation, 0x20), mload(creation))
        }
        if (pointer == address(0)) revert CodeStoreWriteFailed(data.length);
    }

    /// @notice The bytes given to `write`.
    function read(address pointer) internal view returns (bytes memory data) {
        uint256 size = pointer.code.length - 1; // skip the STOP byte
        data = new bytes(size);
        assembly ("memory-safe") {
            extcodecopy(pointer, add(data, 0x20), 1, size)
        }
    }
}
