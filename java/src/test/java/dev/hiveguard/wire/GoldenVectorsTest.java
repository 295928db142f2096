package dev.hiveguard.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.Verdict;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java mirror against the C golden vectors (driver/tests/golden/README.md):
 * every {@code <name>.bin} decoded and compared field by field with {@code <name>.txt},
 * and config/reply/hello_request encoded from the .txt values and checked byte for
 * byte - and through the real core's validators - by {@code check_vectors}.
 */
class GoldenVectorsTest {

    /** upcase is covered by dev.hiveguard.policy.UpcaseVectorsTest. */
    private static final Set<String> VECTORS = Set.of("hello_request", "hello_reply", "config", "event_batch",
            "reply", "reply_result", "stats", "inject", "upcase");
    private static final long CHECK_VECTORS_TIMEOUT_S = 60;

    private static Path dir;

    @BeforeAll
    static void locate() {
        String prop = System.getProperty("hiveguard.golden.dir");
        dir = Path.of(prop != null ? prop : "target/golden");
        assertTrue(Files.isRegularFile(dir.resolve("hello_request.bin")), "no golden vectors in " + dir
                + ": they are built by `make -C driver vectors` (mvn runs it unless -DskipNative=true)");
    }

    /** One vector: its bytes and its field=value lines in order. */
    private record Vector(byte[] bin, Map<String, String> txt) {
        ByteBuffer buffer() {
            return ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
        }

        String get(String field) {
            String v = txt.get(field);
            assertTrue(v != null, "vector has no field " + field);
            return v;
        }

        long num(String field) {
            return Long.parseUnsignedLong(get(field));
        }

        int i32(String field) {
            return (int) num(field);
        }

        /** Asserts the .txt value of {@code field} equals {@code actual} rendered the README's way. */
        void expect(String field, long actual) {
            assertEquals(get(field), Long.toUnsignedString(actual), field);
        }

        void expectU32(String field, int actual) {
            expect(field, Integer.toUnsignedLong(actual));
        }

        void expectText(String field, String actual) {
            assertEquals(get(field), actual, field);
        }

        void expectMagic() {
            assertEquals(String.format("0x%08x", Wire.MAGIC), get("magic"), "magic");
        }
    }

    private static Vector load(String name) throws IOException {
        Map<String, String> txt = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve(name + ".txt"), StandardCharsets.UTF_8)) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            assertTrue(eq > 0, name + ".txt: not field=value: " + line);
            txt.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return new Vector(Files.readAllBytes(dir.resolve(name + ".bin")), txt);
    }

    private static int utf16Bytes(String s) {
        return s.length() * 2;
    }

    @Test
    void everyVectorTheCSideEmitsIsCovered() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            Set<String> emitted = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".bin"))
                    .map(n -> n.substring(0, n.length() - 4)).collect(Collectors.toCollection(TreeSet::new));
            assertEquals(new TreeSet<>(VECTORS), emitted);
        }
    }

    @Test
    void helloRequestDecodes() throws IOException {
        Vector v = load("hello_request");
        HelloRequest r = HelloRequest.decode(v.buffer());
        v.expectMagic();
        v.expect("version_major", r.versionMajor());
        v.expect("version_minor", r.versionMinor());
        v.expect("flags", r.flags());
        v.expect("reserved", r.reserved());
        assertEquals(v.txt().size(), 5, "a field this test does not know about");
    }

    @Test
    void helloReplyDecodes() throws IOException {
        Vector v = load("hello_reply");
        HelloReply r = HelloReply.decode(v.buffer());
        v.expectMagic();
        v.expect("version_major", r.versionMajor());
        v.expect("version_minor", r.versionMinor());
        v.expectU32("capabilities", r.capabilities());
        v.expect("max_event_bytes", r.maxEventBytes());
        v.expect("get_events_min_bytes", r.getEventsMinBytes());
        v.expect("get_events_max_bytes", r.getEventsMaxBytes());
        v.expect("reply_max_entries", r.replyMaxEntries());
        v.expect("parked_max", r.parkedMax());
        v.expect("instance_id", r.instanceId());
        v.expectU32("driver_version", r.driverVersion());
        v.expect("altitude", r.altitude());
        v.expect("no_client_verdict", r.noClientVerdict());
        v.expect("reserved", 0);
        assertEquals(14, v.txt().size());
    }

    @Test
    void configDecodesAndReencodesToTheSameBytes() throws IOException {
        Vector v = load("config");
        Subscription s = ConfigMessage.decode(v.buffer());
        v.expectMagic();
        v.expect("total_bytes", v.bin().length);
        v.expectU32("op_mask", s.opMask());
        v.expectU32("verdict_op_mask", s.verdictOpMask());
        v.expect("flags", s.includeKernelCallers() ? Wire.CFG_F_INCLUDE_KERNEL_CALLERS : 0);
        v.expect("timeout_ms", s.timeoutMs());
        v.expect("fail_mode", s.failMode().code());
        v.expect("default_verdict", s.defaultVerdict().code());
        v.expect("max_backlog", s.maxBacklog());
        v.expect("data_cap", s.dataCap());
        List<Subscription.Prefix> entries = entriesInWireOrder(s);
        v.expect("prefix_count", entries.size());
        v.expect("excluded_pid_count", s.excludedPids().size());
        v.expect("reserved0", 0);
        v.expect("volume_count", s.volumes().size());
        v.expect("group_count", s.groups().size());
        int offset = Wire.CONFIG_HEADER_BYTES + entries.size() * Wire.PREFIX_ENTRY_BYTES
                + s.excludedPids().size() * Wire.EXCLUDED_PID_BYTES + s.volumes().size() * Wire.VOLUME_ENTRY_BYTES
                + s.groups().size() * Wire.GROUP_ENTRY_BYTES;
        List<Boolean> clauseStarts = clauseStartsInWireOrder(s);
        for (int i = 0; i < entries.size(); i++) {
            Subscription.Prefix p = entries.get(i);
            boolean member = i >= s.prefixes().size();
            String f = "prefix[" + i + "].";
            v.expect(f + "kind", member ? Wire.PREFIX_MEMBER : p.include() ? Wire.PREFIX_INCLUDE : Wire.PREFIX_EXCLUDE);
            v.expect(f + "flags", member ? (clauseStarts.get(i) ? Wire.PREFIX_F_CLAUSE : 0)
                    : p.verdict() ? Wire.PREFIX_F_VERDICT : 0);
            v.expectU32(f + "op_mask", p.opMask());
            v.expect(f + "timeout_ms", p.timeoutMs());
            v.expect(f + "fail_mode", p.failMode().code());
            v.expect(f + "string_bytes", utf16Bytes(p.prefix()));
            v.expect(f + "string_offset", offset);
            v.expect(f + "match", p.match().code());
            v.expect(f + "target", p.target().code());
            v.expectText(f + "string", p.prefix());
            offset += utf16Bytes(p.prefix());
        }
        for (int i = 0; i < s.excludedPids().size(); i++) {
            v.expect("excluded_pid[" + i + "]", s.excludedPids().get(i));
        }
        for (int i = 0; i < s.volumes().size(); i++) {
            Subscription.Volume vol = s.volumes().get(i);
            String f = "volume[" + i + "].";
            v.expect(f + "string_offset", offset);
            v.expect(f + "string_bytes", utf16Bytes(vol.device()));
            v.expect(f + "drive", vol.drive());
            v.expectText(f + "device", vol.device());
            offset += utf16Bytes(vol.device());
        }
        int firstMember = s.prefixes().size();
        for (int i = 0; i < s.groups().size(); i++) {
            Subscription.Group g = s.groups().get(i);
            String f = "group[" + i + "].";
            v.expect(f + "kind", g.include() ? Wire.PREFIX_INCLUDE : Wire.PREFIX_EXCLUDE);
            v.expect(f + "flags", g.verdict() ? Wire.PREFIX_F_VERDICT : 0);
            v.expectU32(f + "op_mask", g.opMask());
            v.expect(f + "timeout_ms", g.timeoutMs());
            v.expect(f + "fail_mode", g.failMode().code());
            v.expect(f + "first_member", firstMember);
            v.expect(f + "member_count", g.members().size());
            v.expect(f + "reserved", 0);
            firstMember += g.members().size();
        }
        assertEquals(15 + 10 * entries.size() + s.excludedPids().size() + 4 * s.volumes().size()
                + 8 * s.groups().size(), v.txt().size());
        assertTrue(s.prefixes().stream().anyMatch(p -> p.match() == Subscription.Match.EXACT), "an EXACT entry");
        assertTrue(s.prefixes().stream().anyMatch(Subscription.Prefix::anchoredImage), "an anchored image entry");
        assertTrue(s.volumes().size() >= 2, "a volume map");
        assertTrue(s.prefixes().stream().anyMatch(p -> p.match() == Subscription.Match.CONTAINS), "a CONTAINS entry");
        assertTrue(s.prefixes().stream().anyMatch(p -> p.target() == Subscription.Target.FULL_NAME), "a full-name entry");
        assertTrue(s.prefixes().stream().anyMatch(p -> p.target() == Subscription.Target.IMAGE), "an image entry");
        assertTrue(s.prefixes().stream().anyMatch(p -> p.target() == Subscription.Target.DATA), "a data entry");
        assertTrue(s.prefixes().stream().anyMatch(p -> p.target() == Subscription.Target.NEW_NAME), "a new-name entry");
        assertArrayEquals(v.bin(), ConfigMessage.encode(s), "canonical encoding");
    }

    /**
     * The two AND groups the C emitter appends to {@code config} after its 11 standalone entries
     * (wire minor 3; the list both sides were given): an INCLUDE group with a verdict over a SetValue
     * to an AutoLogger session's Start or Enabled value with data 0, and an EXCLUDE group of svchost
     * writing under Services.
     */
    static List<Subscription.Group> expectedGoldenGroups() {
        int set = dev.hiveguard.model.Operation.SET_VALUE.bit();
        Subscription.Member autologger = new Subscription.Member(Subscription.Match.CONTAINS,
                Subscription.Target.KEY_PATH, "\\Control\\WMI\\Autologger\\");
        Subscription.Member start = new Subscription.Member(Subscription.Match.SUFFIX, Subscription.Target.FULL_NAME,
                "\\Start");
        Subscription.Member enabled = new Subscription.Member(Subscription.Match.SUFFIX,
                Subscription.Target.FULL_NAME, "\\Enabled");
        Subscription.Member zero = new Subscription.Member(Subscription.Match.CONTAINS, Subscription.Target.DATA,
                "DWORD (0x00000000)");
        Subscription.Member svchost = new Subscription.Member(Subscription.Match.EXACT, Subscription.Target.IMAGE,
                "C:\\Windows\\System32\\svchost.exe");
        Subscription.Member services = new Subscription.Member(Subscription.Match.PREFIX,
                Subscription.Target.KEY_PATH, "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\");
        return List.of(
                new Subscription.Group(true, set, true, 0, FailMode.INHERIT,
                        List.of(List.of(autologger), List.of(start, enabled), List.of(zero))),
                new Subscription.Group(false, set, false, 0, FailMode.INHERIT,
                        List.of(List.of(svchost), List.of(services))));
    }

    @Test
    void theGoldenConfigCarriesTheAgreedGroups() throws IOException {
        Subscription s = ConfigMessage.decode(load("config").buffer());
        assertEquals(11, s.prefixes().size(), "groups come after the 11 standalone entries");
        assertEquals(expectedGoldenGroups(), s.groups());
    }

    /**
     * The agreed config built in Java (the golden standalone entries plus
     * {@link #expectedGoldenGroups}) and its bytes checked field by field against the header's
     * layout, independently of the C emitter - member entries after the standalone ones, the group table after the volume
     * map, strings packed in entry order then device names - and decoded back to itself.
     */
    @Test
    void groupsEncodeAtTheOffsetsOfTheHeaderLayout() throws IOException {
        Subscription s = ConfigMessage.decode(load("config").buffer()).withGroups(expectedGoldenGroups());
        byte[] bin = ConfigMessage.encode(s);
        ByteBuffer b = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
        int entries = s.prefixes().size() + 6;
        assertEquals(11, s.prefixes().size());
        assertEquals(bin.length, b.getInt(4), "total_bytes");
        assertEquals(entries, b.getShort(36), "prefix_count counts the members");
        assertEquals(2, b.getShort(46), "group_count");
        int groupsAt = Wire.CONFIG_HEADER_BYTES + entries * Wire.PREFIX_ENTRY_BYTES
                + s.excludedPids().size() * Wire.EXCLUDED_PID_BYTES + s.volumes().size() * Wire.VOLUME_ENTRY_BYTES;
        int[][] groupFields = {
            // kind, flags, op_mask, timeout, fail, first, count, reserved
            {Wire.PREFIX_INCLUDE, Wire.PREFIX_F_VERDICT, 8, 0, 0, 11, 4, 0},
            {Wire.PREFIX_EXCLUDE, 0, 8, 0, 0, 15, 2, 0},
        };
        for (int g = 0; g < 2; g++) {
            int at = groupsAt + g * Wire.GROUP_ENTRY_BYTES;
            int[] want = groupFields[g];
            int[] got = {b.getShort(at), b.getShort(at + 2), b.getInt(at + 4), b.getInt(at + 8), b.getShort(at + 12),
                b.getShort(at + 14), b.getShort(at + 16), b.getShort(at + 18)};
            assertArrayEquals(want, got, "group[" + g + "]");
        }
        int poolStart = groupsAt + 2 * Wire.GROUP_ENTRY_BYTES;
        int offset = poolStart;
        for (int i = 0; i < s.prefixes().size(); i++) {
            offset += utf16Bytes(s.prefixes().get(i).prefix());
        }
        String[] texts = {"\\Control\\WMI\\Autologger\\", "\\Start", "\\Enabled", "DWORD (0x00000000)",
            "C:\\Windows\\System32\\svchost.exe", "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\"};
        int[][] memberFields = {
            // flags, match, target
            {Wire.PREFIX_F_CLAUSE, Wire.MATCH_CONTAINS, Wire.TARGET_KEY_PATH},
            {Wire.PREFIX_F_CLAUSE, Wire.MATCH_SUFFIX, Wire.TARGET_FULL_NAME},
            {0, Wire.MATCH_SUFFIX, Wire.TARGET_FULL_NAME},
            {Wire.PREFIX_F_CLAUSE, Wire.MATCH_CONTAINS, Wire.TARGET_DATA},
            {Wire.PREFIX_F_CLAUSE, Wire.MATCH_EXACT, Wire.TARGET_IMAGE},
            {Wire.PREFIX_F_CLAUSE, Wire.MATCH_PREFIX, Wire.TARGET_KEY_PATH},
        };
        for (int m = 0; m < 6; m++) {
            int at = Wire.CONFIG_HEADER_BYTES + (11 + m) * Wire.PREFIX_ENTRY_BYTES;
            int len = utf16Bytes(texts[m]);
            int[] want = {Wire.PREFIX_MEMBER, memberFields[m][0], 8, 0, 0, len, offset, memberFields[m][1],
                memberFields[m][2]};
            int[] got = {b.getShort(at), b.getShort(at + 2), b.getInt(at + 4), b.getInt(at + 8), b.getShort(at + 12),
                b.getShort(at + 14), b.getInt(at + 16), b.getShort(at + 20), b.getShort(at + 22)};
            assertArrayEquals(want, got, "member entry " + (11 + m));
            assertEquals(texts[m], new String(bin, offset, len, StandardCharsets.UTF_16LE));
            offset += len;
        }
        int firstVolumeString = b.getInt(groupsAt - s.volumes().size() * Wire.VOLUME_ENTRY_BYTES);
        assertEquals(offset, firstVolumeString, "device names follow every entry string");
        assertEquals(s, ConfigMessage.decode(ByteBuffer.wrap(bin)), "decodes back to itself");
    }

    /** The entries as the wire lists them: the standalone ones, then each group's members. */
    private static List<Subscription.Prefix> entriesInWireOrder(Subscription s) {
        List<Subscription.Prefix> out = new ArrayList<>(s.prefixes());
        for (Subscription.Group g : s.groups()) {
            for (Subscription.Member m : g.members()) {
                out.add(m.asEntry(g.opMask()));
            }
        }
        return out;
    }

    private static List<Boolean> clauseStartsInWireOrder(Subscription s) {
        List<Boolean> out = new ArrayList<>();
        for (int i = 0; i < s.prefixes().size(); i++) {
            out.add(false);
        }
        for (Subscription.Group g : s.groups()) {
            for (List<Subscription.Member> c : g.clauses()) {
                for (int i = 0; i < c.size(); i++) {
                    out.add(i == 0);
                }
            }
        }
        return out;
    }

    @Test
    void eventBatchDecodesEveryFieldOfEveryEvent() throws IOException {
        Vector v = load("event_batch");
        EventBatch b = EventBatch.decode(v.buffer());
        v.expectMagic();
        v.expect("count", b.events().size());
        v.expect("total_bytes", b.totalBytes());
        v.expect("reserved", 0);
        v.expect("dropped_total", b.droppedTotal());
        int fields = 5;
        for (int i = 0; i < b.events().size(); i++) {
            RegistryEvent e = b.events().get(i);
            String f = "event[" + i + "].";
            int content = Wire.EVENT_HEADER_BYTES + utf16Bytes(e.keyPath()) + utf16Bytes(e.valueName())
                    + utf16Bytes(e.newName()) + utf16Bytes(e.image()) + utf16Bytes(e.userSid()) + e.data().length;
            v.expect(f + "size", Wire.alignUp(content, Wire.EVENT_ALIGN));
            v.expect(f + "operation", e.operation().code());
            v.expect(f + "flags", e.flags());
            v.expect(f + "id", e.id());
            v.expect(f + "sequence", e.sequence());
            assertEquals(EventBatch.fromFileTime(v.num(f + "timestamp")), e.timestamp(), f + "timestamp");
            assertTrue(e.timestamp().isAfter(Instant.parse("2020-01-01T00:00:00Z")), "FILETIME epoch handled");
            v.expect(f + "pid", e.pid());
            v.expect(f + "tid", e.tid());
            v.expectU32(f + "session_id", e.sessionId());
            v.expect(f + "timeout_ms", e.timeoutMs());
            v.expectU32(f + "value_type", e.valueType());
            v.expect(f + "data_original_size", e.dataOriginalSize());
            v.expect(f + "data_bytes", e.data().length);
            v.expect(f + "key_path_bytes", utf16Bytes(e.keyPath()));
            v.expect(f + "value_name_bytes", utf16Bytes(e.valueName()));
            v.expect(f + "new_name_bytes", utf16Bytes(e.newName()));
            v.expect(f + "image_bytes", utf16Bytes(e.image()));
            v.expect(f + "user_sid_bytes", utf16Bytes(e.userSid()));
            v.expect(f + "reserved", 0);
            v.expectText(f + "key_path", e.keyPath());
            v.expectText(f + "value_name", e.valueName());
            v.expectText(f + "new_name", e.newName());
            v.expectText(f + "image", e.image());
            v.expectText(f + "user_sid", e.userSid());
            v.expectText(f + "data", HexFormat.of().formatHex(e.data()));
            fields += 25; // 19 header fields + 5 strings + data
        }
        assertEquals(fields, v.txt().size());
        // The README's promises about this vector, as seen through the mirror.
        assertTrue(b.events().get(1).dataTruncated());
        assertTrue(b.events().get(3).verdictRequested());
        assertTrue(b.events().get(4).keyPath().contains("\u00e9") && b.events().get(4).keyPath().contains("\u4e2d"));
    }

    @Test
    void replyDecodes() throws IOException {
        Vector v = load("reply");
        List<ReplyEntry> entries = ReplyMessage.decode(v.buffer());
        v.expectMagic();
        v.expect("count", entries.size());
        for (int i = 0; i < entries.size(); i++) {
            v.expect("entry[" + i + "].id", entries.get(i).id());
            v.expect("entry[" + i + "].verdict", entries.get(i).verdict().code());
            v.expect("entry[" + i + "].reserved", 0);
        }
        assertEquals(2 + 3 * entries.size(), v.txt().size());
        assertArrayEquals(v.bin(), ReplyMessage.encode(entries));
    }

    @Test
    void replyResultDecodes() throws IOException {
        Vector v = load("reply_result");
        ReplyResult r = ReplyResult.decode(v.buffer());
        v.expect("accepted", r.accepted());
        v.expect("unknown", r.unknown());
        v.expect("late", r.late());
        v.expect("duplicate", r.duplicate());
        assertEquals(4, v.txt().size());
    }

    @Test
    void statsDecodeEveryCounter() throws IOException {
        Vector v = load("stats");
        DriverStats s = DriverStats.decode(v.buffer());
        v.expectMagic();
        v.expect("size", Wire.STATS_BYTES);
        String[] names = DriverStats.wireFieldNames();
        long[] values = s.toArray();
        for (int i = 0; i < names.length; i++) {
            v.expect(names[i], values[i]);
        }
        assertEquals(2 + names.length, v.txt().size());
        assertEquals(6, s.raised(), "six raises per the README");
    }

    @Test
    void injectDecodes() throws IOException {
        Vector v = load("inject");
        InjectMessage m = InjectMessage.decode(v.buffer());
        v.expectMagic();
        v.expect("total_bytes", v.bin().length);
        v.expect("operation", m.operation());
        v.expect("flags", m.flags());
        v.expectU32("value_type", m.valueType());
        v.expect("pid", m.pid());
        v.expect("data_bytes", m.data().length);
        v.expect("key_path_bytes", utf16Bytes(m.keyPath()));
        v.expect("value_name_bytes", utf16Bytes(m.valueName()));
        v.expect("new_name_bytes", utf16Bytes(m.newName()));
        v.expect("reserved0", 0);
        v.expect("reserved1", 0);
        v.expectText("key_path", m.keyPath());
        v.expectText("value_name", m.valueName());
        v.expectText("new_name", m.newName());
        v.expectText("data", HexFormat.of().formatHex(m.data()));
        assertEquals(16, v.txt().size());
        assertArrayEquals(v.bin(), m.encode());
    }

    // ---- Java -> C ---------------------------------------------------------------

    /** Builds the Subscription from the .txt alone (not from the .bin). */
    private static Subscription subscriptionFromText(Vector v) {
        List<Subscription.Prefix> prefixes = new ArrayList<>();
        List<Subscription.Prefix> all = new ArrayList<>();
        for (int i = 0; i < v.i32("prefix_count"); i++) {
            String f = "prefix[" + i + "].";
            boolean member = v.i32(f + "kind") == Wire.PREFIX_MEMBER;
            Subscription.Prefix p = new Subscription.Prefix(v.i32(f + "kind") == Wire.PREFIX_INCLUDE,
                    v.get(f + "string"), v.i32(f + "op_mask"), (v.i32(f + "flags") & Wire.PREFIX_F_VERDICT) != 0,
                    v.i32(f + "timeout_ms"), FailMode.fromCode(v.i32(f + "fail_mode")),
                    Subscription.Match.fromCode(v.i32(f + "match")), Subscription.Target.fromCode(v.i32(f + "target")));
            all.add(p);
            if (!member) {
                prefixes.add(p);
            }
        }
        List<Subscription.Group> groups = new ArrayList<>();
        for (int i = 0; i < v.i32("group_count"); i++) {
            String f = "group[" + i + "].";
            List<List<Subscription.Member>> clauses = new ArrayList<>();
            int first = v.i32(f + "first_member");
            for (int m = first; m < first + v.i32(f + "member_count"); m++) {
                if ((v.i32("prefix[" + m + "].flags") & Wire.PREFIX_F_CLAUSE) != 0) {
                    clauses.add(new ArrayList<>());
                }
                Subscription.Prefix p = all.get(m);
                clauses.get(clauses.size() - 1).add(new Subscription.Member(p.match(), p.target(), p.prefix()));
            }
            groups.add(new Subscription.Group(v.i32(f + "kind") == Wire.PREFIX_INCLUDE, v.i32(f + "op_mask"),
                    (v.i32(f + "flags") & Wire.PREFIX_F_VERDICT) != 0, v.i32(f + "timeout_ms"),
                    FailMode.fromCode(v.i32(f + "fail_mode")), clauses));
        }
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < v.i32("excluded_pid_count"); i++) {
            pids.add(v.num("excluded_pid[" + i + "]"));
        }
        List<Subscription.Volume> volumes = new ArrayList<>();
        for (int i = 0; i < v.i32("volume_count"); i++) {
            volumes.add(new Subscription.Volume(v.get("volume[" + i + "].device"),
                    (char) v.i32("volume[" + i + "].drive")));
        }
        return new Subscription(v.i32("op_mask"), v.i32("verdict_op_mask"),
                (v.i32("flags") & Wire.CFG_F_INCLUDE_KERNEL_CALLERS) != 0, v.i32("timeout_ms"),
                FailMode.fromCode(v.i32("fail_mode")), Verdict.fromCode(v.i32("default_verdict")),
                v.i32("max_backlog"), v.i32("data_cap"), prefixes, pids, volumes, groups);
    }

    @Test
    void encodingsFromTheTextValuesPassCheckVectors() throws IOException, InterruptedException {
        Path out = dir.resolve("java");
        Files.createDirectories(out);
        Files.write(out.resolve("config.bin"), ConfigMessage.encode(subscriptionFromText(load("config"))));

        Vector reply = load("reply");
        List<ReplyEntry> entries = new ArrayList<>();
        for (int i = 0; i < reply.i32("count"); i++) {
            entries.add(new ReplyEntry(reply.num("entry[" + i + "].id"),
                    Verdict.fromCode(reply.i32("entry[" + i + "].verdict"))));
        }
        Files.write(out.resolve("reply.bin"), ReplyMessage.encode(entries));

        Vector hello = load("hello_request");
        Files.write(out.resolve("hello_request.bin"), new HelloRequest(Wire.MAGIC, hello.i32("version_major"),
                hello.i32("version_minor"), hello.i32("flags"), hello.i32("reserved")).encode());

        Process p = new ProcessBuilder(dir.resolve("check_vectors").toAbsolutePath().toString(),
                dir.toAbsolutePath().toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(CHECK_VECTORS_TIMEOUT_S, TimeUnit.SECONDS), "check_vectors hung");
        assertEquals(0, p.exitValue(), "check_vectors rejected the Java encodings:\n" + output);
        for (String name : List.of("config", "reply", "hello_request")) {
            assertTrue(output.contains(name), "check_vectors did not report " + name + ":\n" + output);
        }
    }
}
