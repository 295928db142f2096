package dev.hiveguard.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.Verdict;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessagesTest {

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    static Subscription sample() {
        int set = Operation.SET_VALUE.bit();
        int keys = Operation.CREATE_KEY.bit() | Operation.DELETE_KEY.bit();
        return new Subscription(set | keys, set, true, 500, FailMode.CLOSED, Verdict.BLOCK, 1024, 2048,
                List.of(new Subscription.Prefix(true, "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\Run",
                                set, true, 1000, FailMode.OPEN),
                        new Subscription.Prefix(false, "\\REGISTRY\\MACHINE\\SOFTWARE\\Classes", keys, false, 0,
                                FailMode.INHERIT)),
                List.of(4L, 1234L));
    }

    @Test
    void configRoundTripsAndUsesTheCanonicalLayout() {
        Subscription s = sample();
        byte[] wire = ConfigMessage.encode(s);
        ByteBuffer b = le(wire);
        int pool = 48 + 2 * 24 + 2 * 8;
        int first = s.prefixes().get(0).prefix().length() * 2;
        int second = s.prefixes().get(1).prefix().length() * 2;
        assertEquals(pool + first + second, wire.length);
        assertEquals(wire.length, b.getInt(4));
        assertEquals(pool, b.getInt(48 + 16), "first string right after the tables");
        assertEquals(pool + first, b.getInt(48 + 24 + 16), "second string packed after the first");
        assertEquals(Wire.CFG_F_INCLUDE_KERNEL_CALLERS, b.getInt(16));
        assertEquals(4L, b.getLong(48 + 48));
        assertEquals(s, ConfigMessage.decode(le(wire)));
    }

    @Test
    void auditEverythingEncodesToTheBareHeader() {
        byte[] wire = ConfigMessage.encode(Subscription.auditEverything());
        assertEquals(Wire.CONFIG_HEADER_BYTES, wire.length);
        assertEquals(Wire.OP_MASK_ALL, le(wire).getInt(8));
        assertEquals(0, le(wire).getInt(12));
    }

    @Test
    void configEncoderRefusesWhatTheDriverWouldReject() {
        Subscription ok = sample();
        assertThrows(IllegalArgumentException.class, () -> ConfigMessage.encode(new Subscription(ok.opMask(),
                ok.opMask() | Operation.FLUSH_KEY.bit(), false, 250, FailMode.OPEN, Verdict.ALLOW, 4096, 0,
                List.of(), List.of())), "verdict mask outside op mask");
        assertThrows(IllegalArgumentException.class, () -> ConfigMessage.encode(new Subscription(ok.opMask(), 0,
                false, Wire.TIMEOUT_MAX_MS + 1, FailMode.OPEN, Verdict.ALLOW, 4096, 0, List.of(), List.of())));
        assertThrows(IllegalArgumentException.class, () -> ConfigMessage.encode(new Subscription(ok.opMask(), 0,
                false, 250, FailMode.INHERIT, Verdict.ALLOW, 4096, 0, List.of(), List.of())));
        assertThrows(IllegalArgumentException.class, () -> ConfigMessage.encode(new Subscription(ok.opMask(), 0,
                false, 250, FailMode.OPEN, Verdict.ALLOW, Wire.BACKLOG_MIN - 1, 0, List.of(), List.of())));
        assertThrows(IllegalArgumentException.class, () -> ConfigMessage.encode(new Subscription(ok.opMask(), 0,
                false, 250, FailMode.OPEN, Verdict.ALLOW, 4096, 0,
                List.of(new Subscription.Prefix(true, "", Operation.SET_VALUE.bit(), false, 0, FailMode.INHERIT)),
                List.of())), "empty prefix");
        assertThrows(IllegalArgumentException.class, () -> ConfigMessage.encode(new Subscription(ok.opMask(), 0,
                false, 250, FailMode.OPEN, Verdict.ALLOW, 4096, 0,
                List.of(new Subscription.Prefix(false, "\\X", Operation.SET_VALUE.bit(), true, 0, FailMode.INHERIT)),
                List.of())), "verdict on an exclude prefix");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConfigMessage.encode(new Subscription(1, 0, false, 250, FailMode.OPEN, Verdict.ALLOW, 4096, 0,
                        List.of(), List.of())));
        assertTrue(e.getMessage().contains("op_mask"), e.getMessage());
    }

    @Test
    void configDecoderNamesTheBrokenField() {
        byte[] wire = ConfigMessage.encode(sample());
        ByteBuffer b = le(wire.clone());
        b.putInt(4, wire.length + 2);
        assertEquals("total_bytes", assertThrows(WireFormatException.class, () -> ConfigMessage.decode(b)).field());
        ByteBuffer c = le(wire.clone());
        c.putInt(48 + 16, wire.length); // string offset beyond the pool
        assertEquals("prefixes[0].string_offset",
                assertThrows(WireFormatException.class, () -> ConfigMessage.decode(c)).field());
        ByteBuffer d = le(wire.clone());
        d.putInt(40, 1);
        assertEquals("reserved0", assertThrows(WireFormatException.class, () -> ConfigMessage.decode(d)).field());
    }

    /** Wire minor 2: DATA for SetValue, NEW_NAME for RenameKey, SUFFIX / CONTAINS only - both directions. */
    @Test
    void dataAndNewNameEntriesRoundTripAndBadOnesAreRefused() {
        int set = Operation.SET_VALUE.bit();
        int ren = Operation.RENAME_KEY.bit();
        Subscription s = new Subscription(set | ren, 0, false, 250, FailMode.OPEN, Verdict.ALLOW, 4096, 0, List.of(
                new Subscription.Prefix(true, "vbscript", set, false, 0, FailMode.INHERIT, Subscription.Match.CONTAINS,
                        Subscription.Target.DATA),
                new Subscription.Prefix(true, "\\Run", ren, false, 0, FailMode.INHERIT, Subscription.Match.SUFFIX,
                        Subscription.Target.NEW_NAME)), List.of());
        byte[] wire = ConfigMessage.encode(s);
        assertEquals(Wire.TARGET_DATA, le(wire).getShort(48 + 22));
        assertEquals(Wire.TARGET_NEW_NAME, le(wire).getShort(48 + 24 + 22));
        assertEquals(s, ConfigMessage.decode(le(wire)));
        assertThrows(IllegalArgumentException.class, () -> new Subscription.Prefix(true, "x", set, false, 0,
                FailMode.INHERIT, Subscription.Match.PREFIX, Subscription.Target.DATA), "no PREFIX on data");
        assertThrows(IllegalArgumentException.class, () -> new Subscription.Prefix(true, "x",
                set | Operation.DELETE_VALUE.bit(), false, 0, FailMode.INHERIT, Subscription.Match.CONTAINS,
                Subscription.Target.DATA), "data is SetValue's");
        assertThrows(IllegalArgumentException.class, () -> new Subscription.Prefix(true, "x", set, false, 0,
                FailMode.INHERIT, Subscription.Match.SUFFIX, Subscription.Target.NEW_NAME), "a new name is RenameKey's");
        ByteBuffer badMatch = le(wire.clone());
        badMatch.putShort(48 + 20, (short) Wire.MATCH_PREFIX);
        assertEquals("prefixes[0].match",
                assertThrows(WireFormatException.class, () -> ConfigMessage.decode(badMatch)).field());
        ByteBuffer badOps = le(wire.clone());
        badOps.putInt(48 + 24 + 4, set | ren);
        assertEquals("prefixes[1].op_mask",
                assertThrows(WireFormatException.class, () -> ConfigMessage.decode(badOps)).field());
        ByteBuffer badTarget = le(wire.clone());
        badTarget.putShort(48 + 22, (short) (Wire.TARGET_NEW_NAME + 1));
        assertEquals("prefixes[0].target",
                assertThrows(WireFormatException.class, () -> ConfigMessage.decode(badTarget)).field());
    }

    /**
     * Wire minor 3: a subscription with groups round-trips, and the decoder refuses what the
     * driver refuses - a member outside every group, a group whose first member begins no clause,
     * overlapping ranges, a member whose op_mask differs from its group's, a MEMBER flag on a
     * standalone entry, a verdict on an EXCLUDE group; the encoder refuses more clauses than
     * HG_CLAUSE_MAX_COUNT.
     */
    @Test
    void groupsRoundTripAndBadTablesAreRefused() {
        int set = Operation.SET_VALUE.bit();
        Subscription.Member a = new Subscription.Member(Subscription.Match.CONTAINS, Subscription.Target.KEY_PATH, "\\Run\\");
        Subscription.Member b = new Subscription.Member(Subscription.Match.CONTAINS, Subscription.Target.DATA, "powershell");
        Subscription.Member c = new Subscription.Member(Subscription.Match.SUFFIX, Subscription.Target.IMAGE, "\\x.exe");
        Subscription s = new Subscription(set, set, false, 250, FailMode.OPEN, Verdict.ALLOW, 4096, 0,
                List.of(new Subscription.Prefix(true, "\\REGISTRY\\A", set, false, 0, FailMode.INHERIT)), List.of(),
                List.of(), List.of(new Subscription.Group(true, set, true, 1000, FailMode.CLOSED, List.of(List.of(a), List.of(b, c))),
                        new Subscription.Group(false, set, false, 0, FailMode.INHERIT, List.of(List.of(c), List.of(a)))));
        byte[] wire = ConfigMessage.encode(s);
        assertEquals(s, ConfigMessage.decode(le(wire)));
        int groupsAt = Wire.CONFIG_HEADER_BYTES + 6 * Wire.PREFIX_ENTRY_BYTES;
        int member1 = Wire.CONFIG_HEADER_BYTES + Wire.PREFIX_ENTRY_BYTES; // first member entry

        ByteBuffer orphan = le(wire.clone());
        orphan.putShort(groupsAt + Wire.GROUP_ENTRY_BYTES + 16, (short) 1); // 2nd group covers 1 of its 2 members
        assertEquals("group_count", assertThrows(WireFormatException.class, () -> ConfigMessage.decode(orphan)).field());
        ByteBuffer noClause = le(wire.clone());
        noClause.putShort(member1 + 2, (short) 0);
        assertEquals("groups[0].first_member",
                assertThrows(WireFormatException.class, () -> ConfigMessage.decode(noClause)).field());
        ByteBuffer overlap = le(wire.clone());
        overlap.putShort(groupsAt + Wire.GROUP_ENTRY_BYTES + 14, (short) 3); // starts inside the first group
        assertEquals("groups[1].first_member",
                assertThrows(WireFormatException.class, () -> ConfigMessage.decode(overlap)).field());
        ByteBuffer otherOps = le(wire.clone());
        otherOps.putInt(member1 + 4, set | Operation.DELETE_VALUE.bit());
        assertEquals("groups[0].op_mask",
                assertThrows(WireFormatException.class, () -> ConfigMessage.decode(otherOps)).field());
        ByteBuffer clauseOnEntry = le(wire.clone());
        clauseOnEntry.putShort(Wire.CONFIG_HEADER_BYTES + 2, (short) Wire.PREFIX_F_CLAUSE);
        assertEquals("prefixes[0].flags",
                assertThrows(WireFormatException.class, () -> ConfigMessage.decode(clauseOnEntry)).field());
        ByteBuffer verdictExclude = le(wire.clone());
        verdictExclude.putShort(groupsAt + Wire.GROUP_ENTRY_BYTES + 2, (short) Wire.PREFIX_F_VERDICT);
        assertEquals("groups[1].flags",
                assertThrows(WireFormatException.class, () -> ConfigMessage.decode(verdictExclude)).field());

        List<Subscription.Group> many = new java.util.ArrayList<>();
        for (int i = 0; i < Wire.CLAUSE_MAX_COUNT / 2 + 1; i++) {
            many.add(new Subscription.Group(true, set, false, 0, FailMode.INHERIT, List.of(List.of(a), List.of(c))));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConfigMessage.encode(s.withGroups(many)));
        assertTrue(e.getMessage().contains("clauses"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Subscription.Group(true,
                set | Operation.CREATE_KEY.bit(), false, 0, FailMode.INHERIT, List.of(List.of(b))), "data is SetValue's");
    }

    @Test
    void replyRoundTripsAndRejectsWhatTheDriverRejects() {
        List<ReplyEntry> entries = List.of(new ReplyEntry(1, Verdict.ALLOW), new ReplyEntry(-1L, Verdict.BLOCK));
        byte[] wire = ReplyMessage.encode(entries);
        assertEquals(8 + 2 * 16, wire.length);
        assertEquals(Wire.MAGIC, le(wire).getInt(0));
        assertEquals(Verdict.BLOCK.code(), le(wire).getInt(8 + 16 + 8));
        assertEquals(entries, ReplyMessage.decode(le(wire)));
        assertThrows(IllegalArgumentException.class, () -> ReplyMessage.encode(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new ReplyEntry(0, Verdict.ALLOW));
        ByteBuffer bad = le(wire.clone());
        bad.putInt(8 + 8, 3);
        assertEquals("entries[0].verdict", assertThrows(WireFormatException.class,
                () -> ReplyMessage.decode(bad)).field());
        ByteBuffer shortBuf = ByteBuffer.wrap(wire, 0, wire.length - 1).slice();
        assertEquals("count", assertThrows(WireFormatException.class, () -> ReplyMessage.decode(shortBuf)).field());
    }

    @Test
    void replyResultAndHelloDecode() {
        ByteBuffer rr = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(3).putInt(1).putInt(2).putInt(0);
        assertEquals(new ReplyResult(3, 1, 2, 0), ReplyResult.decode(rr.flip()));
        ByteBuffer h = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(Wire.MAGIC).putShort((short) 1).putShort((short) 7).putInt(Wire.CAP_SIMULATOR)
                .putInt(Wire.MAX_EVENT_BYTES).putInt(Wire.GET_EVENTS_MIN_BYTES).putInt(Wire.GET_EVENTS_MAX_BYTES)
                .putInt(Wire.REPLY_MAX_ENTRIES).putInt(Wire.PARKED_MAX).putLong(0xABCDEF0123L).flip();
        HelloReply reply = HelloReply.decode(h);
        assertEquals(new HelloReply(1, 7, Wire.CAP_SIMULATOR, Wire.MAX_EVENT_BYTES, Wire.GET_EVENTS_MIN_BYTES,
                Wire.GET_EVENTS_MAX_BYTES, Wire.REPLY_MAX_ENTRIES, Wire.PARKED_MAX, 0xABCDEF0123L), reply);
        assertTrue(reply.has(Wire.CAP_SIMULATOR));
        h.putInt(16, Wire.GET_EVENTS_MAX_BYTES + 1);
        assertEquals("get_events_max_bytes",
                assertThrows(WireFormatException.class, () -> HelloReply.decode(h)).field());
        // Wire 1.1: the same reply plus driver version, altitude and default verdict.
        ByteBuffer h11 = ByteBuffer.allocate(Wire.HELLO_REPLY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        h11.put(h.array(), 0, Wire.HELLO_REPLY_V1_0_BYTES).putInt(16, Wire.GET_EVENTS_MIN_BYTES)
                .putInt(40, 0x0101_0002).putInt(44, 385_100).putInt(48, 2).putInt(52, 0).position(0);
        h11.putInt(20, Wire.GET_EVENTS_MAX_BYTES);
        HelloReply r11 = HelloReply.decode(h11);
        assertEquals(385_100, r11.altitude());
        assertEquals(2, r11.noClientVerdict());
        assertEquals("1.1.2", r11.driverVersionText());
        assertEquals("unknown", reply.driverVersionText(), "a 1.0 driver's reply");
        h11.putInt(48, 3);
        assertEquals("no_client_verdict", assertThrows(WireFormatException.class, () -> HelloReply.decode(h11))
                .field());
        byte[] req = HelloRequest.current().encode();
        assertEquals(HelloRequest.current(), HelloRequest.decode(le(req)));
        assertEquals(Wire.VERSION_MAJOR, le(req).getShort(4));
    }

    @Test
    void statsDecodeEveryCounterInWireOrder() throws ReflectiveOperationException {
        ByteBuffer b = ByteBuffer.allocate(Wire.STATS_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(Wire.MAGIC).putInt(Wire.STATS_BYTES);
        for (int i = 0; i < 28; i++) {
            b.putLong(1000L + i);
        }
        DriverStats s = DriverStats.decode(b.flip());
        RecordComponent[] components = DriverStats.class.getRecordComponents();
        String[] wireNames = DriverStats.wireFieldNames();
        assertEquals(28, components.length);
        for (int i = 0; i < components.length; i++) {
            assertEquals(1000L + i, components[i].getAccessor().invoke(s), components[i].getName());
            // camelCase of the C name, in the same position
            String camel = java.util.regex.Pattern.compile("_([a-z])").matcher(wireNames[i])
                    .replaceAll(m -> m.group(1).toUpperCase());
            assertEquals(camel, components[i].getName());
        }
        b.putInt(4, 8);
        assertEquals("size", assertThrows(WireFormatException.class, () -> DriverStats.decode(b)).field());
    }

    @Test
    void injectRoundTrips() {
        InjectMessage m = new InjectMessage(Operation.SET_VALUE.code(), Wire.INJECT_F_KERNEL_CALLER, 4, 77,
                "\\REGISTRY\\MACHINE\\X", "V", "", "abc".getBytes(StandardCharsets.US_ASCII));
        InjectMessage back = InjectMessage.decode(le(m.encode()));
        assertEquals(m.keyPath(), back.keyPath());
        assertEquals(m.pid(), back.pid());
        assertEquals("abc", new String(back.data(), StandardCharsets.US_ASCII));
    }
}
