/**
 * The Java mirror of {@code driver/include/hiveguard_wire.h}: constants ({@link dev.hiveguard.wire.Wire},
 * {@link dev.hiveguard.wire.NtStatus}), strict decoders for what the driver sends (HELLO reply, event
 * batches, REPLY result, STATS) and canonical encoders for what the agent sends (HELLO, CONFIGURE, REPLY).
 * Everything is little-endian at absolute offsets; a buffer that breaks the contract is a
 * {@link dev.hiveguard.wire.WireFormatException} naming the structure, field and offset. The tests read
 * the header itself and the C golden vectors, so no number here is trusted because it was copied.
 */
package dev.hiveguard.wire;
