package dev.hiveguard.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.Verdict;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads driver/include/hiveguard_wire.h itself and evaluates its numeric #defines and
 * enumerators, so every constant of the Java mirror is checked against the C source
 * of truth rather than against a second hand-copied number.
 */
class WireHeaderConstantsTest {

    private static final Pattern DEFINE = Pattern.compile("^#define\\s+(HG_\\w+)\\s+([^/\\n]+?)\\s*(/\\*.*)?$",
            Pattern.MULTILINE);
    private static final Pattern ENUMERATOR = Pattern.compile("^\\s+(HG_\\w+)\\s*=\\s*(\\w+)\\s*,?",
            Pattern.MULTILINE);
    private static final java.util.Set<String> STRUCT_SIZES = java.util.Set.of("HELLO_REQUEST_BYTES",
            "HELLO_REPLY_BYTES", "CONFIG_HEADER_BYTES", "PREFIX_ENTRY_BYTES", "EXCLUDED_PID_BYTES", "VOLUME_ENTRY_BYTES",
            "GROUP_ENTRY_BYTES",
            "REPLY_HEADER_BYTES", "REPLY_ENTRY_BYTES", "REPLY_RESULT_BYTES", "STATS_BYTES", "INJECT_HEADER_BYTES",
            "INJECT_RESULT_BYTES", "BATCH_HEADER_BYTES");
    private static final Map<String, Long> values = new LinkedHashMap<>();

    static Path header() {
        String dir = System.getProperty("hiveguard.driver.dir", "driver");
        return Path.of(dir, "include", "hiveguard_wire.h");
    }

    @BeforeAll
    static void parseHeader() throws IOException {
        String text = Files.readString(header());
        Map<String, String> raw = new LinkedHashMap<>();
        Matcher m = DEFINE.matcher(text);
        while (m.find()) {
            raw.put(m.group(1), m.group(2).trim());
        }
        Matcher en = ENUMERATOR.matcher(text);
        while (en.find()) {
            raw.put(en.group(1), en.group(2).trim());
        }
        // Names may refer to later ones (HG_OP_MASK_ALL uses the enumerator HG_OP_COUNT): iterate to a fixpoint.
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Map.Entry<String, String> e : raw.entrySet()) {
                if (!values.containsKey(e.getKey())) {
                    Long v = new Expr(e.getValue(), values).evaluate();
                    if (v != null) {
                        values.put(e.getKey(), v);
                        progress = true;
                    }
                }
            }
        }
    }

    /** Tiny evaluator for the header's constant expressions: literals, names, + - * << | & ~, HG_IOCTL(). */
    private static final class Expr {
        private final String s;
        private final Map<String, Long> known;
        private int pos;

        Expr(String s, Map<String, Long> known) {
            this.s = s;
            this.known = known;
        }

        Long evaluate() {
            try {
                long v = or();
                skip();
                return pos == s.length() ? v : null;
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        private void skip() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private boolean eat(String t) {
            skip();
            if (s.startsWith(t, pos)) {
                pos += t.length();
                return true;
            }
            return false;
        }

        private long or() {
            long v = and();
            while (eat("|")) {
                v |= and();
            }
            return v;
        }

        private long and() {
            long v = shift();
            while (eat("&")) {
                v &= shift();
            }
            return v;
        }

        private long shift() {
            long v = sum();
            while (eat("<<")) {
                v <<= sum();
            }
            return v;
        }

        private long sum() {
            long v = product();
            while (true) {
                if (eat("+")) {
                    v += product();
                } else if (eat("-")) {
                    v -= product();
                } else {
                    return v;
                }
            }
        }

        private long product() {
            long v = unary();
            while (eat("*")) {
                v *= unary();
            }
            return v;
        }

        private long unary() {
            if (eat("~")) {
                return ~unary() & 0xFFFFFFFFL;
            }
            if (eat("(")) {
                long v = or();
                if (!eat(")")) {
                    throw new IllegalArgumentException(s);
                }
                return v;
            }
            skip();
            int start = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) {
                pos++;
            }
            String tok = s.substring(start, pos);
            if (tok.isEmpty()) {
                throw new IllegalArgumentException(s);
            }
            if (Character.isDigit(tok.charAt(0))) {
                String digits = tok.replaceAll("[uUlL]+$", "");
                return digits.startsWith("0x") || digits.startsWith("0X")
                        ? Long.parseLong(digits.substring(2), 16) : Long.parseLong(digits);
            }
            if (tok.equals("HG_IOCTL") && eat("(")) {
                long fn = or();
                eat(")");
                return (known.get("HG_DEVICE_TYPE") << 16) | (known.get("HG_FILE_READ_WRITE") << 14) | (fn << 2)
                        | known.get("HG_METHOD_BUFFERED");
            }
            Long v = known.get(tok);
            if (v == null) {
                throw new IllegalArgumentException(tok);
            }
            return v;
        }
    }

    private static long c(String name) {
        Long v = values.get(name);
        assertNotNull(v, name + " not found or not evaluable in " + header());
        return v;
    }

    @Test
    void everyNumericConstantOfTheHeaderWithAJavaTwinMatches() throws IllegalAccessException {
        Map<String, Field> javaConstants = new HashMap<>();
        for (Field f : Wire.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                javaConstants.put(f.getName(), f);
            }
        }
        Map<String, Field> unmatched = new HashMap<>(javaConstants);
        for (Map.Entry<String, Long> e : values.entrySet()) {
            String javaName = e.getKey().substring("HG_".length()).replace("WIRE_", "");
            Field f = unmatched.remove(javaName);
            if (f != null) {
                assertEquals((int) (long) e.getValue(), f.getInt(null), e.getKey() + " vs Wire." + javaName);
            }
        }
        // Only the structure sizes have no #define twin; structureSizesMatchTheStaticAsserts covers them.
        unmatched.keySet().removeIf(n -> n.endsWith("_BYTES") && STRUCT_SIZES.contains(n));
        assertTrue(unmatched.isEmpty(), "Wire constants missing from the header: " + unmatched.keySet());
    }

    @Test
    void ioctlCodesMatchTheHeaderAndTheWindowsMacro() {
        assertEquals(c("HG_IOCTL_HELLO"), Integer.toUnsignedLong(Wire.IOCTL_HELLO));
        assertEquals(c("HG_IOCTL_CONFIGURE"), Integer.toUnsignedLong(Wire.IOCTL_CONFIGURE));
        assertEquals(c("HG_IOCTL_GET_EVENTS"), Integer.toUnsignedLong(Wire.IOCTL_GET_EVENTS));
        assertEquals(c("HG_IOCTL_REPLY"), Integer.toUnsignedLong(Wire.IOCTL_REPLY));
        assertEquals(c("HG_IOCTL_STATS"), Integer.toUnsignedLong(Wire.IOCTL_STATS));
        assertEquals(c("HG_IOCTL_INJECT"), Integer.toUnsignedLong(Wire.IOCTL_INJECT));
        // Documented Windows codes: IOCTL_DISK_GET_DRIVE_GEOMETRY and FSCTL_LOCK_VOLUME.
        assertEquals(0x00070000, Wire.ctlCode(7, 0, 0, 0));
        assertEquals(0x00090018, Wire.ctlCode(9, 6, 0, 0));
    }

    @Test
    void statusCodesMatchTheHeader() {
        for (NtStatus s : NtStatus.values()) {
            assertEquals(c("HG_STATUS_" + s.name()), Integer.toUnsignedLong(s.code()), s.name());
        }
    }

    @Test
    void enumerationsOfTheModelMatchTheHeader() {
        for (Operation op : Operation.values()) {
            assertEquals(c("HG_OP_" + op.name()), op.code(), op.name());
        }
        assertEquals(c("HG_OP_MASK_ALL"), Operation.maskAll());
        assertEquals(c("HG_VERDICT_ALLOW"), Verdict.ALLOW.code());
        assertEquals(c("HG_VERDICT_BLOCK"), Verdict.BLOCK.code());
        assertEquals(c("HG_FAIL_INHERIT"), FailMode.INHERIT.code());
        assertEquals(c("HG_FAIL_OPEN"), FailMode.OPEN.code());
        assertEquals(c("HG_FAIL_CLOSED"), FailMode.CLOSED.code());
        assertEquals(c("HG_EVENT_F_VERDICT_REQUESTED"), dev.hiveguard.model.RegistryEvent.F_VERDICT_REQUESTED);
        assertEquals(c("HG_EVENT_F_DATA_UNREADABLE"), dev.hiveguard.model.RegistryEvent.F_DATA_UNREADABLE);
        // Wire minor 3: the model's group bounds are the header's.
        assertEquals(c("HG_GROUP_MAX_COUNT"), dev.hiveguard.model.Subscription.GROUP_MAX_COUNT);
        assertEquals(c("HG_CLAUSE_MAX_COUNT"), dev.hiveguard.model.Subscription.CLAUSE_MAX_COUNT);
    }

    @Test
    void structureSizesMatchTheStaticAsserts() throws IOException {
        String text = Files.readString(header());
        Matcher m = Pattern.compile("HG_STATIC_ASSERT\\(sizeof\\((HG_\\w+)\\) == ([^,]+),").matcher(text);
        Map<String, Integer> java = Map.ofEntries(Map.entry("HG_VOLUME_ENTRY", Wire.VOLUME_ENTRY_BYTES),
                Map.entry("HG_GROUP_ENTRY", Wire.GROUP_ENTRY_BYTES),
                Map.entry("HG_HELLO_REQUEST", Wire.HELLO_REQUEST_BYTES), Map.entry("HG_HELLO_REPLY", Wire.HELLO_REPLY_BYTES),
                Map.entry("HG_CONFIG_HEADER", Wire.CONFIG_HEADER_BYTES), Map.entry("HG_PREFIX_ENTRY", Wire.PREFIX_ENTRY_BYTES),
                Map.entry("HG_BATCH_HEADER", Wire.BATCH_HEADER_BYTES), Map.entry("HG_EVENT_HEADER", Wire.EVENT_HEADER_BYTES),
                Map.entry("HG_REPLY_HEADER", Wire.REPLY_HEADER_BYTES), Map.entry("HG_REPLY_ENTRY", Wire.REPLY_ENTRY_BYTES),
                Map.entry("HG_REPLY_RESULT", Wire.REPLY_RESULT_BYTES), Map.entry("HG_STATS", Wire.STATS_BYTES));
        int seen = 0;
        while (m.find()) {
            Long size = new Expr(m.group(2), values).evaluate();
            Integer mine = java.get(m.group(1));
            if (mine != null) {
                assertEquals(size, (long) mine, m.group(1));
                seen++;
            }
        }
        assertEquals(java.size(), seen);
        assertEquals(c("HG_GET_EVENTS_MIN_BYTES"), Wire.GET_EVENTS_MIN_BYTES);
    }
}
