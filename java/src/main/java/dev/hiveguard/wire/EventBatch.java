package dev.hiveguard.wire;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A completed GET_EVENTS: {@code HG_BATCH_HEADER} followed by {@code count} whole
 * events. Decoding is all or nothing: a batch whose framing is inconsistent is
 * reported with the offending event's index and offset, because once one event's
 * size is wrong every event after it would be misread.
 *
 * @param totalBytes   header + events, equal to the completion's byte count
 * @param droppedTotal the driver's cumulative drop counter when it packed the batch
 * @param events       the events in driver order
 */
public record EventBatch(int totalBytes, long droppedTotal, List<RegistryEvent> events) {

    private static final String TYPE = "HG_BATCH";
    private static final long HUNDRED_NS_PER_SECOND = 10_000_000L;

    public EventBatch {
        events = List.copyOf(events);
    }

    /** Converts a FILETIME (100 ns since 1601-01-01 UTC) to an Instant. */
    public static Instant fromFileTime(long fileTime) {
        long sinceUnix = fileTime - Wire.FILETIME_UNIX_EPOCH_OFFSET;
        return Instant.ofEpochSecond(Math.floorDiv(sinceUnix, HUNDRED_NS_PER_SECOND),
                Math.floorMod(sinceUnix, HUNDRED_NS_PER_SECOND) * 100);
    }

    /** Decodes {@code message} from its position to its limit (the completed byte count). */
    public static EventBatch decode(ByteBuffer message) {
        return decode(message, null);
    }

    /**
     * Decodes {@code message} from its position to its limit (the completed byte count):
     * the completed bytes are copied once into a heap array the events own, every header
     * field and every string's bounds are checked, and the strings and data are decoded
     * only when an event is asked for them ({@link RegistryEvent#fromWire}). The caller
     * may therefore hand {@code message}'s buffer back to the driver as soon as this
     * returns: no event refers to it.
     *
     * @param imageTranslation applied to each event's image when it is first read (NT path
     *                         to Win32 form); null for none
     */
    public static EventBatch decode(ByteBuffer message, UnaryOperator<String> imageTranslation) {
        return decodeOwned(copyOf(message), imageTranslation);
    }

    /** The bytes from {@code message}'s position to its limit, in one bulk copy. */
    public static byte[] copyOf(ByteBuffer message) {
        byte[] copy = new byte[message.remaining()];
        message.get(message.position(), copy);
        return copy;
    }

    /**
     * As {@link #decode(ByteBuffer, UnaryOperator)} for a completed batch already copied
     * ({@link #copyOf}): the events keep {@code copy}, which nobody may change afterwards.
     */
    public static EventBatch decodeOwned(byte[] copy, UnaryOperator<String> imageTranslation) {
        WireReader r = WireReader.of(ByteBuffer.wrap(copy), TYPE);
        if (r.length() < Wire.BATCH_HEADER_BYTES) {
            throw r.fail("size", 0, "is " + r.length() + " bytes, needs " + Wire.BATCH_HEADER_BYTES);
        }
        r.expectMagic(0);
        long count = r.u32(4, "count");
        long total = r.u32(8, "total_bytes");
        if (total != r.length()) {
            throw r.fail("total_bytes", 8, "declares " + total + " bytes, the completion carried " + r.length());
        }
        long maxCount = (total - Wire.BATCH_HEADER_BYTES) / Wire.EVENT_HEADER_BYTES;
        if (count < 1 || count > maxCount) {
            throw r.fail("count", 4, count + " events cannot fit in " + total + " bytes (at least 1, at most "
                    + maxCount + ")");
        }
        r.expectZero32(12, "reserved");
        long dropped = r.u64(16, "dropped_total");
        List<RegistryEvent> events = new ArrayList<>((int) count);
        int at = Wire.BATCH_HEADER_BYTES;
        for (int i = 0; i < count; i++) {
            if (total - at < Wire.EVENT_HEADER_BYTES) {
                throw r.fail("events[" + i + "]", at, "only " + (total - at) + " bytes left for an event header");
            }
            long size = r.u32(at, "events[].size"); // cannot fail: the header bytes were checked above
            if (size < Wire.EVENT_HEADER_BYTES || size > total - at || size % Wire.EVENT_ALIGN != 0) {
                throw r.fail("events[" + i + "].size", at, "size " + size + " is not a multiple of "
                        + Wire.EVENT_ALIGN + " in [" + Wire.EVENT_HEADER_BYTES + ", " + (total - at) + "]");
            }
            events.add(decodeEvent(r.element(at, (int) size, "HG_EVENT", i), copy, imageTranslation));
            at += (int) size;
        }
        if (at != total) {
            throw r.fail("total_bytes", 8, (total - at) + " bytes follow the last of " + count + " events");
        }
        return new EventBatch((int) total, dropped, events);
    }

    /**
     * Walks only the event headers' size and flags fields of a completed batch: false when
     * every event is well framed and none asks for a verdict, true otherwise - including
     * any framing this walk cannot follow, which {@link #decodeOwned} then reports. Costs a
     * few reads per event and builds nothing, so a batch nobody waits for can leave the
     * completion thread without being decoded there.
     */
    public static boolean mayRequestVerdict(byte[] batch) {
        if (batch.length < Wire.BATCH_HEADER_BYTES) {
            return true;
        }
        long count = u32(batch, 4);
        int at = Wire.BATCH_HEADER_BYTES;
        for (long i = 0; i < count; i++) {
            if (batch.length - at < Wire.EVENT_HEADER_BYTES) {
                return true;
            }
            long size = u32(batch, at);
            if (size < Wire.EVENT_HEADER_BYTES || size > batch.length - at) {
                return true;
            }
            int flags = (batch[at + 6] & 0xFF) | (batch[at + 7] & 0xFF) << 8;
            if ((flags & Wire.EVENT_F_VERDICT_REQUESTED) != 0) {
                return true;
            }
            at += (int) size;
        }
        return at != batch.length;
    }

    private static long u32(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
    }

    /**
     * One {@code HG_EVENT_HEADER} and the bounds of its variable part; {@code e} spans
     * exactly {@code size} bytes of {@code copy}, which the event keeps to decode its
     * strings from on first use.
     */
    static RegistryEvent decodeEvent(WireReader e, byte[] copy, UnaryOperator<String> imageTranslation) {
        int opCode = e.u16Bounded(4, "operation", 1, Wire.OP_COUNT - 1);
        int flags = e.u16(6, "flags");
        if ((flags & ~Wire.EVENT_F_ALL) != 0) {
            throw e.fail("flags", 6, String.format("unknown bits 0x%X", flags & ~Wire.EVENT_F_ALL));
        }
        long id = e.u64(8, "id");
        boolean wantsVerdict = (flags & Wire.EVENT_F_VERDICT_REQUESTED) != 0;
        if (wantsVerdict != (id != 0)) {
            throw e.fail("id", 8, "id " + Long.toUnsignedString(id) + " must be non-zero iff VERDICT_REQUESTED is "
                    + "set (flags 0x" + Integer.toHexString(flags) + ")");
        }
        int keyBytes = e.u16Bounded(68, "key_path_bytes", 0, Wire.KEY_PATH_MAX_BYTES);
        int valueBytes = e.u16Bounded(70, "value_name_bytes", 0, Wire.VALUE_NAME_MAX_BYTES);
        int newNameBytes = e.u16Bounded(72, "new_name_bytes", 0, Wire.NEW_NAME_MAX_BYTES);
        int imageBytes = e.u16Bounded(74, "image_bytes", 0, Wire.IMAGE_MAX_BYTES);
        int sidBytes = e.u16Bounded(76, "user_sid_bytes", 0, Wire.USER_SID_MAX_BYTES);
        e.expectZero16(78, "reserved");
        int dataBytes = e.u32Bounded(64, "data_bytes", 0, Wire.DATA_CAP_MAX);
        int content = Wire.EVENT_HEADER_BYTES + keyBytes + valueBytes + newNameBytes + imageBytes + sidBytes
                + dataBytes;
        if (Wire.alignUp(content, Wire.EVENT_ALIGN) != e.length()) {
            throw e.fail("size", 0, "is " + e.length() + " but header, strings and data take " + content
                    + " bytes (" + Wire.alignUp(content, Wire.EVENT_ALIGN) + " aligned)");
        }
        // Every bound is checked here, so decoding a string later cannot fail.
        int at = Wire.EVENT_HEADER_BYTES;
        e.checkUtf16(at, keyBytes, "key_path");
        at += keyBytes;
        e.checkUtf16(at, valueBytes, "value_name");
        at += valueBytes;
        e.checkUtf16(at, newNameBytes, "new_name");
        at += newNameBytes;
        e.checkUtf16(at, imageBytes, "image");
        at += imageBytes;
        e.checkUtf16(at, sidBytes, "user_sid");
        at += sidBytes;
        e.bytesInside(at, dataBytes, "data");
        long originalSize = e.u32(60, "data_original_size");
        return RegistryEvent.fromWire(
                id,
                e.u64(16, "sequence"),
                fromFileTime(e.u64(24, "timestamp")),
                Operation.fromCode(opCode),
                flags,
                e.u64(32, "pid"),
                e.u64(40, "tid"),
                (int) e.u32(48, "session_id"),
                e.u32Bounded(52, "timeout_ms", 0, Wire.TIMEOUT_MAX_MS),
                (int) e.u32(56, "value_type"),
                (int) Math.min(originalSize, Integer.MAX_VALUE),
                copy, e.absolute(Wire.EVENT_HEADER_BYTES), keyBytes, valueBytes, newNameBytes, imageBytes, sidBytes,
                dataBytes, imageTranslation);
    }
}
