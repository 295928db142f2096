package dev.hiveguard.model;

import java.util.List;
import java.util.Objects;

/**
 * What the agent asks the driver to deliver: the content of one CONFIGURE message
 * ({@code HG_CONFIG_HEADER} and its tables), in Java terms. A policy compiles to one
 * of these so that only operations some rule can act on cross into user mode; the
 * wire layer encodes it, the driver re-validates it.
 *
 * @param opMask           operation classes delivered ({@link Operation#bit()} bits)
 * @param verdictOpMask    subset of opMask whose callers wait for a verdict
 * @param includeKernelCallers deliver operations whose PreviousMode is KernelMode
 * @param timeoutMs        global verdict timeout
 * @param failMode         verdict on timeout (OPEN or CLOSED)
 * @param defaultVerdict   verdict when one is due but no request is parked
 * @param maxBacklog       events queued while no request is parked
 * @param dataCap          bytes of value data copied per event
 * @param prefixes         include/exclude key-path prefixes in kernel form
 * @param excludedPids     processes never delivered
 * @param volumes          the volume map (wire minor 2): NT device to drive letter, so the driver
 *                         can give IMAGE entries the image in the form Sysmon prints
 * @param groups           AND groups (wire minor 3): conjunctions of clauses of member patterns; on
 *                         the wire their members follow the standalone entries in {@code prefixes}
 */
public record Subscription(
        int opMask,
        int verdictOpMask,
        boolean includeKernelCallers,
        int timeoutMs,
        FailMode failMode,
        Verdict defaultVerdict,
        int maxBacklog,
        int dataCap,
        List<Prefix> prefixes,
        List<Long> excludedPids,
        List<Volume> volumes,
        List<Group> groups) {

    /** Defaults as in hiveguard_wire.h. */
    public static final int DEFAULT_TIMEOUT_MS = 250;
    public static final int DEFAULT_BACKLOG = 4096;
    public static final int DEFAULT_DATA_CAP = 4096;

    public Subscription {
        Objects.requireNonNull(failMode, "failMode");
        Objects.requireNonNull(defaultVerdict, "defaultVerdict");
        prefixes = List.copyOf(prefixes);
        excludedPids = List.copyOf(excludedPids);
        volumes = List.copyOf(volumes);
        groups = List.copyOf(groups);
    }

    /** Without groups (wire minor 2 content). */
    public Subscription(int opMask, int verdictOpMask, boolean includeKernelCallers, int timeoutMs, FailMode failMode,
                        Verdict defaultVerdict, int maxBacklog, int dataCap, List<Prefix> prefixes,
                        List<Long> excludedPids, List<Volume> volumes) {
        this(opMask, verdictOpMask, includeKernelCallers, timeoutMs, failMode, defaultVerdict, maxBacklog, dataCap,
                prefixes, excludedPids, volumes, List.of());
    }

    /** Without a volume map: every image the driver reports stays in NT form ("unmapped"). */
    public Subscription(int opMask, int verdictOpMask, boolean includeKernelCallers, int timeoutMs, FailMode failMode,
                        Verdict defaultVerdict, int maxBacklog, int dataCap, List<Prefix> prefixes,
                        List<Long> excludedPids) {
        this(opMask, verdictOpMask, includeKernelCallers, timeoutMs, failMode, defaultVerdict, maxBacklog, dataCap,
                prefixes, excludedPids, List.of(), List.of());
    }

    /** Everything delivered, nothing waits: what an audit-only agent asks for. */
    public static Subscription auditEverything() {
        return new Subscription(Operation.maskAll(), 0, false, DEFAULT_TIMEOUT_MS, FailMode.OPEN,
                Verdict.ALLOW, DEFAULT_BACKLOG, DEFAULT_DATA_CAP, List.of(), List.of());
    }

    /** This subscription with another global verdict timeout. */
    public Subscription withTimeoutMs(int newTimeoutMs) {
        return new Subscription(opMask, verdictOpMask, includeKernelCallers, newTimeoutMs, failMode, defaultVerdict,
                maxBacklog, dataCap, prefixes, excludedPids, volumes, groups);
    }

    /** This subscription with another global fail mode. */
    public Subscription withFailMode(FailMode newFailMode) {
        return new Subscription(opMask, verdictOpMask, includeKernelCallers, timeoutMs, newFailMode, defaultVerdict,
                maxBacklog, dataCap, prefixes, excludedPids, volumes, groups);
    }

    /** This subscription with other prefixes. */
    public Subscription withPrefixes(List<Prefix> newPrefixes) {
        return new Subscription(opMask, verdictOpMask, includeKernelCallers, timeoutMs, failMode, defaultVerdict,
                maxBacklog, dataCap, newPrefixes, excludedPids, volumes, groups);
    }

    /** This subscription with another volume map. */
    public Subscription withVolumes(List<Volume> newVolumes) {
        return new Subscription(opMask, verdictOpMask, includeKernelCallers, timeoutMs, failMode, defaultVerdict,
                maxBacklog, dataCap, prefixes, excludedPids, newVolumes, groups);
    }

    /** This subscription with other AND groups. */
    public Subscription withGroups(List<Group> newGroups) {
        return new Subscription(opMask, verdictOpMask, includeKernelCallers, timeoutMs, failMode, defaultVerdict,
                maxBacklog, dataCap, prefixes, excludedPids, volumes, newGroups);
    }

    /** The volume map's bounds (hiveguard_wire.h). */
    public static final int VOLUME_MAX_COUNT = 26;
    public static final int VOLUME_DEVICE_MAX_CHARS = 256 / 2;

    /**
     * One {@code HG_VOLUME_ENTRY}: the NT device a volume is named by and its drive letter.
     *
     * @param device {@code \Device\HarddiskVolume3}: begins with a backslash, does not end with one
     * @param drive  'A'..'Z'
     */
    public record Volume(String device, char drive) {
        public Volume {
            Objects.requireNonNull(device, "device");
            if (device.length() < 2 || device.length() > VOLUME_DEVICE_MAX_CHARS || device.charAt(0) != '\\'
                    || device.charAt(device.length() - 1) == '\\') {
                throw new IllegalArgumentException("a volume device is \\X... of 2.." + VOLUME_DEVICE_MAX_CHARS
                        + " characters without a trailing backslash: " + device);
            }
            if (drive < 'A' || drive > 'Z') {
                throw new IllegalArgumentException("a drive letter is A..Z: " + drive);
            }
        }
    }

    /** SUFFIX/CONTAINS entries: the driver's bounds on its pattern automaton (hiveguard_wire.h). */
    public static final int PATTERN_MAX_COUNT = 2048;
    public static final int PATTERN_MAX_CHARS = 1024 / 2;
    public static final int PATTERN_MAX_UNITS = 65_535;
    public static final int PATTERN_MAX_CELLS = 4 * 1024 * 1024;

    /** The standalone entries the driver's automaton carries (non-PREFIX, and IMAGE entries of any match), in entry order. */
    public List<Prefix> patterns() {
        return prefixes.stream().filter(Prefix::inAutomaton).toList();
    }

    /**
     * Every string the driver's automaton carries: the standalone {@link #patterns()}, then every
     * group member (a member is a pattern entry whatever its match, hiveguard_wire.h "AND groups").
     * The driver's pattern bounds (count, units, cells) are on this list.
     */
    public List<String> automatonStrings() {
        List<String> out = new java.util.ArrayList<>();
        for (Prefix p : prefixes) {
            if (p.inAutomaton()) {
                out.add(p.prefix());
            }
        }
        for (Group g : groups) {
            for (Member m : g.members()) {
                out.add(m.text());
            }
        }
        return out;
    }

    /** Member entries of all groups: on the wire they follow the standalone entries. */
    public int memberCount() {
        int n = 0;
        for (Group g : groups) {
            n += g.members().size();
        }
        return n;
    }

    /** Clauses of all groups: the driver bounds these by {@code HG_CLAUSE_MAX_COUNT}. */
    public int clauseCount() {
        int n = 0;
        for (Group g : groups) {
            n += g.clauses().size();
        }
        return n;
    }

    /**
     * The transition-table cells the driver bounds these patterns by, computed as it does:
     * (code units of all patterns + 1) x (distinct upcased units + 1). It allocates fewer (one
     * 2-byte cell per trie state and class: shared prefixes are one state), never more.
     */
    public static long patternCells(List<Prefix> patterns) {
        return patternCellsOf(patterns.stream().map(Prefix::prefix).toList());
    }

    /** {@link #patternCells} over the strings themselves (standalone patterns and group members alike). */
    public static long patternCellsOf(List<String> strings) {
        long units = 0;
        java.util.BitSet distinct = new java.util.BitSet(0x10000);
        for (String p : strings) {
            units += p.length();
            for (int i = 0; i < p.length(); i++) {
                distinct.set(RegistryUpcase.upcase(p.charAt(i)));
            }
        }
        return (units + 1) * (distinct.cardinality() + 1L);
    }

    /** How an entry's string is compared ({@code HG_MATCH_*}). */
    public enum Match {
        PREFIX(0), SUFFIX(1), CONTAINS(2),
        /** The whole target equals the string (wire minor 2). */
        EXACT(3);

        private final int code;

        Match(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Match fromCode(int code) {
            for (Match m : values()) {
                if (m.code == code) {
                    return m;
                }
            }
            throw new IllegalArgumentException("no HG_MATCH_* " + code);
        }
    }

    /** What an entry's string is compared with ({@code HG_TARGET_*}). */
    public enum Target {
        /** The kernel key path. */
        KEY_PATH(0),
        /** Key path, backslash, value name: Sysmon's TargetObject in kernel form (value classes only). */
        FULL_NAME(1),
        /**
         * The caller process's image path in the form Sysmon prints it: the driver maps
         * {@code \Device\HarddiskVolume3\Windows\regedit.exe} to {@code C:\Windows\regedit.exe} with the
         * subscription's volume map; an image on a volume the map does not name stays in NT form
         * ("unmapped"). Any class. Looked up by the driver only when the path entries leave the decision
         * open; an unknown image counts as matching every image INCLUDE and no EXCLUDE, an unmapped one
         * as matching every anchored (PREFIX/EXACT) image INCLUDE and no anchored EXCLUDE.
         */
        IMAGE(2),
        /**
         * Wire minor 2: SetValue's data rendered as Sysmon's Details ({@link ValueRendering#details}),
         * SUFFIX/CONTAINS only. Data the driver does not render (REG_MULTI_SZ, longer than
         * {@code HG_DATA_MATCH_MAX_BYTES} (text), unreadable) is unknown: every DATA INCLUDE counts, no EXCLUDE.
         */
        DATA(3),
        /** Wire minor 2: RenameKey's new full key path in kernel form, SUFFIX/CONTAINS only; unknown as DATA. */
        NEW_NAME(4);

        /** The classes that have this target: DATA and NEW_NAME one each, the others every class that has the text. */
        public int ops() {
            return switch (this) {
                case DATA -> Operation.SET_VALUE.bit();
                case NEW_NAME -> Operation.RENAME_KEY.bit();
                case FULL_NAME -> FULL_NAME_OPS;
                default -> Operation.maskAll();
            };
        }

        private final int code;

        Target(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Target fromCode(int code) {
            for (Target t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new IllegalArgumentException("no HG_TARGET_* " + code);
        }
    }

    /** The classes that have a value name, hence a FULL_NAME. */
    public static final int FULL_NAME_OPS = Operation.SET_VALUE.bit() | Operation.DELETE_VALUE.bit();

    /**
     * One {@code HG_PREFIX_ENTRY}: a prefix of the key path, or (wire minor 1) a suffix or
     * substring of the key path or of the full name.
     *
     * @param include    INCLUDE (true) or EXCLUDE (false)
     * @param prefix     kernel-form string, matched case-insensitively as {@code match} says
     * @param opMask     classes this entry applies to
     * @param verdict    INCLUDE only: matching operations wait for a verdict
     * @param timeoutMs  0 = the global timeout
     * @param failMode   INHERIT = the global fail mode
     * @param match      PREFIX, SUFFIX, CONTAINS or EXACT
     * @param target     KEY_PATH, FULL_NAME or IMAGE
     */
    public record Prefix(boolean include, String prefix, int opMask, boolean verdict, int timeoutMs,
                         FailMode failMode, Match match, Target target) {
        public Prefix {
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(failMode, "failMode");
            Objects.requireNonNull(match, "match");
            Objects.requireNonNull(target, "target");
            if ((target == Target.DATA || target == Target.NEW_NAME)
                    && (match == Match.PREFIX || match == Match.EXACT || (opMask & ~target.ops()) != 0)) {
                throw new IllegalArgumentException("a " + target + " entry is SUFFIX or CONTAINS for its own class only: "
                        + prefix);
            }
        }

        /** Whether the driver compiles it into its automaton (else into the prefix trie). */
        public boolean inAutomaton() {
            return match != Match.PREFIX || target == Target.IMAGE;
        }

        /** PREFIX or EXACT on the image: decided only on an image the volume map names. */
        public boolean anchoredImage() {
            return target == Target.IMAGE && (match == Match.PREFIX || match == Match.EXACT);
        }

        /** A key-path prefix (the only kind of wire minor 0). */
        public Prefix(boolean include, String prefix, int opMask, boolean verdict, int timeoutMs, FailMode failMode) {
            this(include, prefix, opMask, verdict, timeoutMs, failMode, Match.PREFIX, Target.KEY_PATH);
        }

        /** This entry with another timeout; kind and target kept. */
        public Prefix withTimeoutMs(int newTimeoutMs) {
            return new Prefix(include, prefix, opMask, verdict, newTimeoutMs, failMode, match, target);
        }

        /** How {@code policy show} and logs name it: the string, and its kind when not a key-path prefix. */
        public String describe() {
            String text = switch (match) {
                case PREFIX -> target == Target.IMAGE ? prefix + "*" : prefix;
                case SUFFIX -> "*" + prefix;
                case CONTAINS -> "*" + prefix + "*";
                case EXACT -> "=" + prefix;
            };
            return switch (target) {
                case FULL_NAME -> text + " (key\\value)";
                case IMAGE -> text + " (image)";
                case DATA -> text + " (details)";
                case NEW_NAME -> text + " (new name)";
                case KEY_PATH -> text;
            };
        }
    }

    /** AND groups' bounds (hiveguard_wire.h): groups, and clauses of all groups together. */
    public static final int GROUP_MAX_COUNT = 256;
    public static final int CLAUSE_MAX_COUNT = 256;

    /**
     * One member of an AND group's clause (an {@code HG_PREFIX_ENTRY} of kind {@code HG_PREFIX_MEMBER}):
     * a string compared with a target as a standalone entry of that match and target would be. It
     * includes and excludes nothing alone: it is TRUE, FALSE or UNKNOWN for an operation.
     *
     * @param match  PREFIX, SUFFIX, CONTAINS or EXACT (DATA / NEW_NAME: SUFFIX or CONTAINS)
     * @param target what the text is compared with
     * @param text   kernel-form string (Sysmon form for IMAGE, as a standalone IMAGE entry)
     */
    public record Member(Match match, Target target, String text) {
        public Member {
            Objects.requireNonNull(match, "match");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(text, "text");
            if ((target == Target.DATA || target == Target.NEW_NAME) && (match == Match.PREFIX || match == Match.EXACT)) {
                throw new IllegalArgumentException("a " + target + " member is SUFFIX or CONTAINS: " + text);
            }
        }

        /** This member as a standalone entry of the same match and target (for matching and display). */
        public Prefix asEntry(int opMask) {
            return new Prefix(true, text, opMask, false, 0, FailMode.INHERIT, match, target);
        }

        /** As {@link Prefix#describe}. */
        public String describe() {
            return asEntry(target.ops()).describe();
        }
    }

    /**
     * One {@code HG_GROUP_ENTRY} (wire minor 3): a conjunction of clauses, each a disjunction of
     * members. An INCLUDE group matches an operation when no clause is FALSE (it could match: never
     * hidden) and then counts as a matching INCLUDE entry with its own verdict, timeout and fail
     * mode; an EXCLUDE group matches only when every clause is TRUE (hiveguard_wire.h "AND groups").
     *
     * @param include   INCLUDE (true) or EXCLUDE (false)
     * @param opMask    classes it applies to; every member's target exists for all of them
     * @param verdict   INCLUDE only: matching operations wait for a verdict
     * @param timeoutMs 0 = the global timeout
     * @param failMode  INHERIT = the global fail mode (INHERIT for EXCLUDE)
     * @param clauses   at least one clause, each at least one member
     */
    public record Group(boolean include, int opMask, boolean verdict, int timeoutMs, FailMode failMode,
                        List<List<Member>> clauses) {
        public Group {
            Objects.requireNonNull(failMode, "failMode");
            if (clauses.isEmpty()) {
                throw new IllegalArgumentException("a group has at least one clause");
            }
            List<List<Member>> copy = new java.util.ArrayList<>(clauses.size());
            for (List<Member> c : clauses) {
                if (c.isEmpty()) {
                    throw new IllegalArgumentException("a group's clause has at least one member");
                }
                for (Member m : c) {
                    if ((opMask & ~m.target().ops()) != 0) {
                        throw new IllegalArgumentException(String.format(
                                "a %s member exists for classes 0x%X only, the group's op_mask is 0x%X: %s",
                                m.target(), m.target().ops(), opMask, m.text()));
                    }
                }
                copy.add(List.copyOf(c));
            }
            clauses = List.copyOf(copy);
            if (!include && (verdict || failMode != FailMode.INHERIT)) {
                throw new IllegalArgumentException("an EXCLUDE group requests no verdict and has no fail mode");
            }
        }

        /** This group with another timeout; kind, flags and clauses kept. */
        public Group withTimeoutMs(int newTimeoutMs) {
            return new Group(include, opMask, verdict, newTimeoutMs, failMode, clauses);
        }

        /** Its members in wire order: clause by clause. */
        public List<Member> members() {
            List<Member> out = new java.util.ArrayList<>();
            for (List<Member> c : clauses) {
                out.addAll(c);
            }
            return out;
        }

        /** How {@code policy show} and logs name it: (a | b) & (c). */
        public String describe() {
            StringBuilder b = new StringBuilder();
            for (List<Member> c : clauses) {
                if (b.length() > 0) {
                    b.append(" AND ");
                }
                b.append(c.size() > 1 ? "(" : "");
                for (int i = 0; i < c.size(); i++) {
                    b.append(i > 0 ? " | " : "").append(c.get(i).describe());
                }
                b.append(c.size() > 1 ? ")" : "");
            }
            return b.toString();
        }
    }
}
