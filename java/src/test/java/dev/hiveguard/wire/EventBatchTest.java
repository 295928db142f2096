package dev.hiveguard.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class EventBatchTest {

    @Test
    void decodesEveryFieldOfEveryEventInOrder() {
        BatchBuilder b = new BatchBuilder();
        b.droppedTotal = 7;
        BatchBuilder.Event set = b.add();
        set.flags = Wire.EVENT_F_VERDICT_REQUESTED | Wire.EVENT_F_DATA_TRUNCATED;
        set.id = 99;
        set.timeoutMs = 250;
        set.valueName = "Updater";
        set.image = "C:\\Users\\u\\evil.exe";
        set.userSid = "S-1-5-21-1-2-3-1001";
        set.valueType = 1;
        set.data = "c:\\e.exe".getBytes(java.nio.charset.StandardCharsets.UTF_16LE);
        set.dataOriginalSize = 100;
        BatchBuilder.Event rename = b.add();
        rename.operation = Operation.RENAME_KEY.code();
        rename.keyPath = "\\REGISTRY\\USER\\S-1-5-21\\Software\\Ünïcode";
        rename.newName = "Renamed";
        rename.pid = 1L << 40;

        EventBatch batch = EventBatch.decode(b.build());

        assertEquals(7, batch.droppedTotal());
        assertEquals(2, batch.events().size());
        RegistryEvent e = batch.events().get(0);
        assertEquals(99, e.id());
        assertEquals(1, e.sequence());
        assertEquals(Operation.SET_VALUE, e.operation());
        assertTrue(e.verdictRequested());
        assertTrue(e.dataTruncated());
        assertEquals(4242, e.pid());
        assertEquals(4243, e.tid());
        assertEquals(1, e.sessionId());
        assertEquals(250, e.timeoutMs());
        assertEquals(set.keyPath, e.keyPath());
        assertEquals("Updater", e.valueName());
        assertEquals("C:\\Users\\u\\evil.exe", e.image());
        assertEquals("S-1-5-21-1-2-3-1001", e.userSid());
        assertEquals(1, e.valueType());
        assertArrayEquals(set.data, e.data());
        assertEquals(100, e.dataOriginalSize());
        RegistryEvent r = batch.events().get(1);
        assertEquals(Operation.RENAME_KEY, r.operation());
        assertEquals(rename.keyPath, r.keyPath());
        assertEquals("Renamed", r.newName());
        assertEquals(1L << 40, r.pid());
        assertEquals(0, r.id());
        assertEquals(2, r.sequence());
    }

    @Test
    void fileTimeConvertsToInstant() {
        // 2023-01-01T00:00:00Z is 133170048000000000 in FILETIME (100 ns ticks since 1601).
        assertEquals(Instant.parse("2023-01-01T00:00:00Z"), EventBatch.fromFileTime(133_170_048_000_000_000L));
        assertEquals(Instant.parse("2023-01-01T00:00:00.0000001Z"),
                EventBatch.fromFileTime(133_170_048_000_000_001L));
        assertEquals(Instant.parse("1601-01-01T00:00:00Z"), EventBatch.fromFileTime(0));
    }

    private static WireFormatException rejects(BatchBuilder b) {
        return assertThrows(WireFormatException.class, () -> EventBatch.decode(b.build()));
    }

    @Test
    void rejectsBadMagic() {
        BatchBuilder b = new BatchBuilder();
        b.add();
        b.magic = 0x12345678;
        assertEquals("magic", rejects(b).field());
    }

    @Test
    void rejectsTotalBytesThatDisagreesWithTheCompletion() {
        BatchBuilder b = new BatchBuilder();
        b.add();
        b.totalOverride = 200;
        WireFormatException e = rejects(b);
        assertEquals("total_bytes", e.field());
        assertEquals(8, e.offset());
    }

    @Test
    void rejectsZeroOrTooManyEvents() {
        BatchBuilder b = new BatchBuilder();
        b.add();
        b.countOverride = 0;
        assertEquals("count", rejects(b).field());
        b.countOverride = 2;
        assertEquals("events[1]", rejects(b).field());
        b.countOverride = 1000;
        assertEquals("count", rejects(b).field());
    }

    @Test
    void rejectsBytesAfterTheLastEvent() {
        BatchBuilder b = new BatchBuilder();
        b.add();
        b.add();
        b.countOverride = 1;
        assertEquals("total_bytes", rejects(b).field());
    }

    @Test
    void rejectsEventSizeThatIsUnalignedOrTooLarge() {
        BatchBuilder b = new BatchBuilder();
        b.add().sizeOverride = 81;
        assertEquals("events[0].size", rejects(b).field());
        b.events.get(0).sizeOverride = 4096;
        assertEquals("events[0].size", rejects(b).field());
    }

    @Test
    void rejectsEventSizeThatDisagreesWithItsStrings() {
        BatchBuilder b = new BatchBuilder();
        BatchBuilder.Event e = b.add();
        e.keyPath = "\\REGISTRY\\A"; // 22 bytes: 102 content -> 104
        e.sizeOverride = 112;
        // The record claims 8 more bytes than it has: framing breaks at the batch level.
        assertEquals("events[0].size", rejects(b).field());
    }

    @Test
    void rejectsUnknownOperationAndFlags() {
        BatchBuilder b = new BatchBuilder();
        b.add().operation = 15;
        WireFormatException e = rejects(b);
        assertEquals("operation", e.field());
        assertEquals("HG_EVENT[0]", e.messageType());
        b.events.get(0).operation = 3;
        b.events.get(0).flags = 0x40;
        assertEquals("flags", rejects(b).field());
    }

    @Test
    void rejectsIdWithoutVerdictFlagAndTheReverse() {
        BatchBuilder b = new BatchBuilder();
        b.add().id = 5;
        assertEquals("id", rejects(b).field());
        b.events.get(0).id = 0;
        b.events.get(0).flags = Wire.EVENT_F_VERDICT_REQUESTED;
        assertEquals("id", rejects(b).field());
    }

    @Test
    void rejectsNonZeroReserved() {
        BatchBuilder b = new BatchBuilder();
        b.add().reserved = 1;
        assertEquals("reserved", rejects(b).field());
    }

    @Test
    void rejectsOddStringLength() {
        BatchBuilder b = new BatchBuilder();
        b.add();
        ByteBuffer buf = b.build();
        // key_path_bytes is at event offset 68; make it odd and shift one byte into data.
        int keyBytes = Short.toUnsignedInt(buf.getShort(24 + 68));
        buf.order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort(24 + 68, (short) (keyBytes - 1));
        buf.putInt(24 + 64, 1);
        WireFormatException e = assertThrows(WireFormatException.class, () -> EventBatch.decode(buf));
        assertEquals("key_path", e.field());
    }

    @Test
    void eventsOwnTheirBytesSoTheRequestBufferCanBeReusedBeforeAnyStringIsRead() {
        BatchBuilder b = new BatchBuilder();
        BatchBuilder.Event set = b.add();
        set.valueName = "Updater";
        set.image = "\\Device\\HarddiskVolume3\\Temp\\dropper.exe";
        set.userSid = "S-1-5-21-1-2-3-1001";
        set.valueType = 4;
        set.data = new byte[] {1, 2, 3, 4};
        ByteBuffer request = b.build();
        EventBatch batch = EventBatch.decode(request.duplicate(),
                img -> img.replace("\\Device\\HarddiskVolume3", "C:"));
        // The driver writes the next batch into the same buffer once it is re-parked.
        for (int i = 0; i < request.limit(); i++) {
            request.put(i, (byte) 0x5A);
        }
        RegistryEvent e = batch.events().get(0);
        assertEquals(set.keyPath, e.keyPath());
        assertEquals("Updater", e.valueName());
        assertEquals("C:\\Temp\\dropper.exe", e.image(), "the image is translated when first read");
        assertEquals("S-1-5-21-1-2-3-1001", e.userSid());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, e.data());
        RegistryEvent byValue = new RegistryEvent(e.id(), e.sequence(), e.timestamp(), e.operation(), e.flags(),
                e.pid(), e.tid(), e.sessionId(), e.timeoutMs(), set.keyPath, "Updater", "", "C:\\Temp\\dropper.exe",
                "S-1-5-21-1-2-3-1001", 4, new byte[] {1, 2, 3, 4}, e.dataOriginalSize());
        assertEquals(byValue, e);
        assertEquals(byValue.hashCode(), e.hashCode());
        assertEquals(byValue, e.detached());
        assertEquals("D:\\x.exe", e.withImage("D:\\x.exe").image());
        assertEquals(set.keyPath, e.withImage("D:\\x.exe").keyPath());
    }

    @Test
    void oddStringLengthsAreRejectedAtDecodeNotWhenTheStringIsFirstRead() {
        BatchBuilder b = new BatchBuilder();
        b.add().image = "C:\\a.exe";
        ByteBuffer buf = b.build().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        // image_bytes (event offset 74) one byte shorter, user_sid one longer: framing still adds up.
        buf.putShort(24 + 74, (short) (buf.getShort(24 + 74) - 1));
        buf.putShort(24 + 76, (short) (buf.getShort(24 + 76) + 1));
        assertEquals("image", assertThrows(WireFormatException.class, () -> EventBatch.decode(buf)).field());
    }

    @Test
    void headerWalkTellsWhetherABatchCanLeaveTheCompletionThreadUndecoded() {
        BatchBuilder quiet = new BatchBuilder();
        quiet.add();
        quiet.add().valueName = "Audit";
        byte[] noVerdict = EventBatch.copyOf(quiet.build());
        assertFalse(EventBatch.mayRequestVerdict(noVerdict));
        assertEquals(2, EventBatch.decodeOwned(noVerdict, null).events().size());

        BatchBuilder waiting = new BatchBuilder();
        waiting.add();
        BatchBuilder.Event second = waiting.add();
        second.flags = Wire.EVENT_F_VERDICT_REQUESTED;
        second.id = 5;
        assertTrue(EventBatch.mayRequestVerdict(EventBatch.copyOf(waiting.build())));

        // Anything the walk cannot follow goes to the full decode, which names the fault.
        assertTrue(EventBatch.mayRequestVerdict(java.util.Arrays.copyOf(noVerdict, noVerdict.length - 8)));
        assertTrue(EventBatch.mayRequestVerdict(new byte[10]));
        byte[] badSize = noVerdict.clone();
        badSize[24] = 8; // first event's size below a header
        badSize[25] = 0;
        assertTrue(EventBatch.mayRequestVerdict(badSize));
    }

    @Test
    void rejectsTruncatedHeader() {
        ByteBuffer shortBuf = ByteBuffer.allocate(10);
        assertEquals("size", assertThrows(WireFormatException.class, () -> EventBatch.decode(shortBuf)).field());
    }
}
