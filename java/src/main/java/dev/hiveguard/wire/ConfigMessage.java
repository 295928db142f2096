package dev.hiveguard.wire;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.Verdict;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * CONFIGURE: {@code HG_CONFIG_HEADER}, {@code HG_PREFIX_ENTRY[prefix_count]} (prefixes,
 * and since minor 1 suffix/contains patterns on the key path or the full name),
 * {@code uint64 excluded_pids[]}, since minor 2 {@code HG_VOLUME_ENTRY[volume_count]} (the
 * volume map), since minor 3 {@code HG_GROUP_ENTRY[group_count]} (AND groups, whose member
 * entries follow the standalone ones in the entry table), then the UTF-16LE string pool (entry
 * strings, then device names).
 *
 * <p>{@link #encode} writes the canonical encoding (strings in entry order, packed,
 * total_bytes ending at the last string byte) so the agent's bytes can be compared
 * with the C golden vector byte for byte. It applies the driver's range checks
 * first: a subscription the driver would reject is refused here with a message
 * naming the field, before it costs a round trip.
 */
public final class ConfigMessage {

    private static final String TYPE = "HG_CONFIG";

    private ConfigMessage() {
    }

    public static byte[] encode(Subscription s) {
        validate(s);
        // Canonical order: the standalone entries, then each group's members clause by clause.
        List<Subscription.Prefix> entries = new ArrayList<>(s.prefixes());
        List<Boolean> clauseStarts = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            clauseStarts.add(false);
        }
        int[] firstMember = new int[s.groups().size()];
        for (int g = 0; g < s.groups().size(); g++) {
            Subscription.Group group = s.groups().get(g);
            firstMember[g] = entries.size();
            for (List<Subscription.Member> clause : group.clauses()) {
                for (int m = 0; m < clause.size(); m++) {
                    entries.add(clause.get(m).asEntry(group.opMask()));
                    clauseStarts.add(m == 0);
                }
            }
        }
        int standalone = s.prefixes().size();
        List<byte[]> strings = new ArrayList<>(entries.size());
        int poolBytes = 0;
        for (Subscription.Prefix p : entries) {
            byte[] chars = p.prefix().getBytes(StandardCharsets.UTF_16LE);
            strings.add(chars);
            poolBytes += chars.length;
        }
        List<byte[]> devices = new ArrayList<>(s.volumes().size());
        for (Subscription.Volume v : s.volumes()) {
            byte[] chars = v.device().getBytes(StandardCharsets.UTF_16LE);
            devices.add(chars);
            poolBytes += chars.length;
        }
        int poolStart = Wire.CONFIG_HEADER_BYTES + entries.size() * Wire.PREFIX_ENTRY_BYTES
                + s.excludedPids().size() * Wire.EXCLUDED_PID_BYTES + s.volumes().size() * Wire.VOLUME_ENTRY_BYTES
                + s.groups().size() * Wire.GROUP_ENTRY_BYTES;
        int total = poolStart + poolBytes;
        if (total > Wire.CONFIG_MAX_BYTES) {
            throw new IllegalArgumentException("subscription encodes to " + total
                    + " bytes, more than HG_CONFIG_MAX_BYTES " + Wire.CONFIG_MAX_BYTES);
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(Wire.MAGIC)
                .putInt(total)
                .putInt(s.opMask())
                .putInt(s.verdictOpMask())
                .putInt(s.includeKernelCallers() ? Wire.CFG_F_INCLUDE_KERNEL_CALLERS : 0)
                .putInt(s.timeoutMs())
                .putShort((short) s.failMode().code())
                .putShort((short) s.defaultVerdict().code())
                .putInt(s.maxBacklog())
                .putInt(s.dataCap())
                .putShort((short) entries.size())
                .putShort((short) s.excludedPids().size())
                .putInt(0)
                .putShort((short) s.volumes().size())
                .putShort((short) s.groups().size());
        int stringOffset = poolStart;
        for (int i = 0; i < entries.size(); i++) {
            Subscription.Prefix p = entries.get(i);
            int len = strings.get(i).length;
            int kind = i >= standalone ? Wire.PREFIX_MEMBER : p.include() ? Wire.PREFIX_INCLUDE : Wire.PREFIX_EXCLUDE;
            int flags = i >= standalone ? (clauseStarts.get(i) ? Wire.PREFIX_F_CLAUSE : 0)
                    : (p.verdict() ? Wire.PREFIX_F_VERDICT : 0);
            b.putShort((short) kind)
                    .putShort((short) flags)
                    .putInt(p.opMask())
                    .putInt(p.timeoutMs())
                    .putShort((short) p.failMode().code())
                    .putShort((short) len)
                    .putInt(stringOffset)
                    .putShort((short) p.match().code())
                    .putShort((short) p.target().code());
            stringOffset += len;
        }
        for (long pid : s.excludedPids()) {
            b.putLong(pid);
        }
        for (int i = 0; i < s.volumes().size(); i++) {
            b.putInt(stringOffset).putShort((short) devices.get(i).length).putShort((short) s.volumes().get(i).drive());
            stringOffset += devices.get(i).length;
        }
        for (int g = 0; g < s.groups().size(); g++) {
            Subscription.Group group = s.groups().get(g);
            b.putShort((short) (group.include() ? Wire.PREFIX_INCLUDE : Wire.PREFIX_EXCLUDE))
                    .putShort((short) (group.verdict() ? Wire.PREFIX_F_VERDICT : 0))
                    .putInt(group.opMask())
                    .putInt(group.timeoutMs())
                    .putShort((short) group.failMode().code())
                    .putShort((short) firstMember[g])
                    .putShort((short) group.members().size())
                    .putShort((short) 0);
        }
        for (byte[] chars : strings) {
            b.put(chars);
        }
        for (byte[] chars : devices) {
            b.put(chars);
        }
        return b.array();
    }

    /** The driver's checks, as IllegalArgumentException naming the field. */
    public static void validate(Subscription s) {
        requireMask("op_mask", s.opMask(), true);
        requireMask("verdict_op_mask", s.verdictOpMask(), true);
        if ((s.verdictOpMask() & ~s.opMask()) != 0) {
            throw new IllegalArgumentException(String.format(
                    "verdict_op_mask 0x%X is not a subset of op_mask 0x%X", s.verdictOpMask(), s.opMask()));
        }
        requireRange("timeout_ms", s.timeoutMs(), Wire.TIMEOUT_MIN_MS, Wire.TIMEOUT_MAX_MS);
        if (s.failMode() == FailMode.INHERIT) {
            throw new IllegalArgumentException("fail_mode INHERIT is legal only on a prefix");
        }
        requireRange("max_backlog", s.maxBacklog(), Wire.BACKLOG_MIN, Wire.BACKLOG_MAX);
        requireRange("data_cap", s.dataCap(), 0, Wire.DATA_CAP_MAX);
        requireRange("prefix_count (entries and group members)", (long) s.prefixes().size() + s.memberCount(), 0,
                Wire.PREFIX_MAX_COUNT);
        requireRange("excluded_pid_count", s.excludedPids().size(), 0, Wire.EXCLUDED_PID_MAX_COUNT);
        validateVolumes(s.volumes());
        for (int i = 0; i < s.prefixes().size(); i++) {
            Subscription.Prefix p = s.prefixes().get(i);
            String at = "prefixes[" + i + "] (" + p.prefix() + ")";
            int bytes = p.prefix().length() * 2;
            int maxBytes = p.inAutomaton() ? Wire.PATTERN_MAX_BYTES : Wire.PREFIX_MAX_BYTES;
            if (bytes < 2 || bytes > maxBytes) {
                throw new IllegalArgumentException(at + ": string of " + bytes
                        + " UTF-16 bytes outside [2, " + maxBytes + "]");
            }
            if (p.target() == Subscription.Target.FULL_NAME && (p.opMask() & ~Subscription.FULL_NAME_OPS) != 0) {
                throw new IllegalArgumentException(String.format(
                        "%s: op_mask 0x%X names classes without a value name (full name needs 0x%X)", at,
                        p.opMask(), Subscription.FULL_NAME_OPS));
            }
            requireMask(at + ".op_mask", p.opMask(), false);
            if (!p.include() && p.verdict()) {
                throw new IllegalArgumentException(at + ": an EXCLUDE prefix cannot request verdicts");
            }
            if (p.timeoutMs() != 0) {
                requireRange(at + ".timeout_ms", p.timeoutMs(), Wire.TIMEOUT_MIN_MS, Wire.TIMEOUT_MAX_MS);
            }
        }
        validateGroups(s.groups());
        validatePatterns(s);
    }

    /** Wire minor 3: the driver's checks on AND groups (hiveguard_wire.h "AND groups"). */
    private static void validateGroups(List<Subscription.Group> groups) {
        requireRange("group_count", groups.size(), 0, Wire.GROUP_MAX_COUNT);
        int clauses = 0;
        for (int g = 0; g < groups.size(); g++) {
            Subscription.Group group = groups.get(g);
            String at = "groups[" + g + "]";
            requireMask(at + ".op_mask", group.opMask(), false);
            if (group.timeoutMs() != 0) {
                requireRange(at + ".timeout_ms", group.timeoutMs(), Wire.TIMEOUT_MIN_MS, Wire.TIMEOUT_MAX_MS);
            }
            clauses += group.clauses().size();
            for (Subscription.Member m : group.members()) {
                int bytes = m.text().length() * 2;
                if (bytes < 2 || bytes > Wire.PATTERN_MAX_BYTES) {
                    throw new IllegalArgumentException(at + " member (" + m.text() + "): string of " + bytes
                            + " UTF-16 bytes outside [2, " + Wire.PATTERN_MAX_BYTES + "]");
                }
            }
        }
        requireRange("clauses of all groups", clauses, 0, Wire.CLAUSE_MAX_COUNT);
    }

    /** The driver's checks on the volume map: one entry per letter, one per device (case-insensitive). */
    private static void validateVolumes(List<Subscription.Volume> volumes) {
        requireRange("volume_count", volumes.size(), 0, Wire.VOLUME_MAX_COUNT);
        java.util.Set<Character> letters = new java.util.HashSet<>();
        java.util.Set<String> devices = new java.util.HashSet<>();
        for (int i = 0; i < volumes.size(); i++) {
            Subscription.Volume v = volumes.get(i);
            if (!letters.add(v.drive())) {
                throw new IllegalArgumentException("volumes[" + i + "]: drive " + v.drive() + ": listed twice");
            }
            if (!devices.add(dev.hiveguard.model.RegistryUpcase.upcase(v.device()))) {
                throw new IllegalArgumentException("volumes[" + i + "]: device " + v.device() + " listed twice");
            }
        }
    }

    /** The bounds the driver puts on all automaton entries together (pattern.c): patterns and group members. */
    private static void validatePatterns(Subscription s) {
        List<String> patterns = s.automatonStrings(); // group members included: each is a pattern entry
        requireRange("pattern count", patterns.size(), 0, Wire.PATTERN_MAX_COUNT);
        long units = 0;
        for (String p : patterns) {
            units += p.length();
        }
        requireRange("pattern code units", units, 0, Wire.PATTERN_MAX_UNITS);
        requireRange("pattern table cells", Subscription.patternCellsOf(patterns), 0, Wire.PATTERN_MAX_CELLS);
    }

    private static void requireMask(String field, int mask, boolean zeroAllowed) {
        if ((mask & ~Wire.OP_MASK_ALL) != 0 || (!zeroAllowed && mask == 0)) {
            throw new IllegalArgumentException(String.format("%s 0x%X is not a%s subset of HG_OP_MASK_ALL 0x%X",
                    field, mask, zeroAllowed ? "" : " non-empty", Wire.OP_MASK_ALL));
        }
    }

    private static void requireRange(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + " " + value + " outside [" + min + ", " + max + "]");
        }
    }

    /**
     * Decodes any layout the driver accepts (not only the canonical one) with the
     * driver's checks; used to prove the C vector and to read back what was sent.
     */
    public static Subscription decode(ByteBuffer message) {
        WireReader r = WireReader.of(message, TYPE);
        if (r.length() < Wire.CONFIG_HEADER_BYTES) {
            throw r.fail("size", 0, "is " + r.length() + " bytes, needs " + Wire.CONFIG_HEADER_BYTES);
        }
        r.expectMagic(0);
        long total = r.u32(4, "total_bytes");
        if (total != r.length()) {
            throw r.fail("total_bytes", 4, "declares " + total + " bytes, the buffer is " + r.length());
        }
        if (total > Wire.CONFIG_MAX_BYTES) {
            throw r.fail("total_bytes", 4, total + " exceeds HG_CONFIG_MAX_BYTES " + Wire.CONFIG_MAX_BYTES);
        }
        int opMask = mask(r, 8, "op_mask", true);
        int verdictMask = mask(r, 12, "verdict_op_mask", true);
        if ((verdictMask & ~opMask) != 0) {
            throw r.fail("verdict_op_mask", 12, "not a subset of op_mask");
        }
        int flags = (int) r.u32(16, "flags");
        if ((flags & ~Wire.CFG_F_ALL) != 0) {
            throw r.fail("flags", 16, String.format("unknown bits 0x%X", flags & ~Wire.CFG_F_ALL));
        }
        int timeout = r.u32Bounded(20, "timeout_ms", Wire.TIMEOUT_MIN_MS, Wire.TIMEOUT_MAX_MS);
        int failMode = r.u16Bounded(24, "fail_mode", FailMode.OPEN.code(), FailMode.CLOSED.code());
        int defaultVerdict = r.u16Bounded(26, "default_verdict", Verdict.ALLOW.code(), Verdict.BLOCK.code());
        int backlog = r.u32Bounded(28, "max_backlog", Wire.BACKLOG_MIN, Wire.BACKLOG_MAX);
        int dataCap = r.u32Bounded(32, "data_cap", 0, Wire.DATA_CAP_MAX);
        int prefixCount = r.u16Bounded(36, "prefix_count", 0, Wire.PREFIX_MAX_COUNT);
        int pidCount = r.u16Bounded(38, "excluded_pid_count", 0, Wire.EXCLUDED_PID_MAX_COUNT);
        r.expectZero32(40, "reserved0");
        int volumeCount = r.u16Bounded(44, "volume_count", 0, Wire.VOLUME_MAX_COUNT);
        int groupCount = r.u16Bounded(46, "group_count", 0, Wire.GROUP_MAX_COUNT);
        int volumesAt = Wire.CONFIG_HEADER_BYTES + prefixCount * Wire.PREFIX_ENTRY_BYTES
                + pidCount * Wire.EXCLUDED_PID_BYTES;
        int groupsAt = volumesAt + volumeCount * Wire.VOLUME_ENTRY_BYTES;
        int tablesEnd = groupsAt + groupCount * Wire.GROUP_ENTRY_BYTES;
        if (tablesEnd > total) {
            throw r.fail("prefix_count", 36, prefixCount + " prefixes, " + pidCount + " pids, " + volumeCount
                    + " volumes and " + groupCount + " groups need " + tablesEnd + " bytes, total_bytes is " + total);
        }
        // Every entry as read; a MEMBER's op_mask is checked against its group's below.
        List<Subscription.Prefix> entries = new ArrayList<>(prefixCount);
        boolean[] member = new boolean[prefixCount];
        boolean[] clauseStart = new boolean[prefixCount];
        for (int i = 0; i < prefixCount; i++) {
            int at = Wire.CONFIG_HEADER_BYTES + i * Wire.PREFIX_ENTRY_BYTES;
            String f = "prefixes[" + i + "].";
            int kind = r.u16Bounded(at, f + "kind", Wire.PREFIX_INCLUDE, Wire.PREFIX_MEMBER);
            int pflags = r.u16(at + 2, f + "flags");
            boolean include = kind == Wire.PREFIX_INCLUDE;
            member[i] = kind == Wire.PREFIX_MEMBER;
            int allowed = include ? Wire.PREFIX_F_VERDICT : member[i] ? Wire.PREFIX_F_CLAUSE : 0;
            if ((pflags & ~allowed) != 0) {
                throw r.fail(f + "flags", at + 2, String.format("bits 0x%X not allowed here", pflags));
            }
            clauseStart[i] = (pflags & Wire.PREFIX_F_CLAUSE) != 0;
            int pmask = mask(r, at + 4, f + "op_mask", false);
            int ptimeout = (int) r.u32(at + 8, f + "timeout_ms");
            if (ptimeout != 0) {
                if (member[i]) {
                    throw r.fail(f + "timeout_ms", at + 8, "a member's timeout is 0");
                }
                r.u32Bounded(at + 8, f + "timeout_ms", Wire.TIMEOUT_MIN_MS, Wire.TIMEOUT_MAX_MS);
            }
            int pfail = r.u16Bounded(at + 12, f + "fail_mode", FailMode.INHERIT.code(),
                    member[i] ? FailMode.INHERIT.code() : FailMode.CLOSED.code());
            int sbytes = r.u16Bounded(at + 14, f + "string_bytes", 2, Wire.PREFIX_MAX_BYTES);
            int soffset = r.u32Bounded(at + 16, f + "string_offset", tablesEnd, total - sbytes);
            Subscription.Match match = Subscription.Match.fromCode(
                    r.u16Bounded(at + 20, f + "match", Wire.MATCH_PREFIX, Wire.MATCH_EXACT));
            Subscription.Target target = Subscription.Target.fromCode(
                    r.u16Bounded(at + 22, f + "target", Wire.TARGET_KEY_PATH, Wire.TARGET_NEW_NAME));
            checkSubjectTarget(r, f, at, target, match, pmask);
            if (target == Subscription.Target.FULL_NAME && (pmask & ~Subscription.FULL_NAME_OPS) != 0) {
                throw r.fail(f + "op_mask", at + 4, "the full name exists for value classes only");
            }
            // Every member is a pattern entry, key-path PREFIX included.
            if ((member[i] || match != Subscription.Match.PREFIX || target == Subscription.Target.IMAGE)
                    && sbytes > Wire.PATTERN_MAX_BYTES) {
                throw r.fail(f + "string_bytes", at + 14, sbytes + " exceeds HG_PATTERN_MAX_BYTES");
            }
            if ((soffset & 1) != 0) {
                throw r.fail(f + "string_offset", at + 16, "odd offset " + soffset);
            }
            entries.add(new Subscription.Prefix(include, r.utf16(soffset, sbytes, f + "string"), pmask,
                    (pflags & Wire.PREFIX_F_VERDICT) != 0, ptimeout, FailMode.fromCode(pfail), match, target));
        }
        List<Subscription.Prefix> prefixes = new ArrayList<>(prefixCount);
        for (int i = 0; i < prefixCount; i++) {
            if (!member[i]) {
                prefixes.add(entries.get(i));
            }
        }
        List<Subscription.Group> groups = decodeGroups(r, groupsAt, groupCount, entries, member, clauseStart);
        List<Long> pids = new ArrayList<>(pidCount);
        int pidsAt = Wire.CONFIG_HEADER_BYTES + prefixCount * Wire.PREFIX_ENTRY_BYTES;
        for (int i = 0; i < pidCount; i++) {
            pids.add(r.u64(pidsAt + i * Wire.EXCLUDED_PID_BYTES, "excluded_pids[" + i + "]"));
        }
        List<Subscription.Volume> volumes = new ArrayList<>(volumeCount);
        for (int i = 0; i < volumeCount; i++) {
            int at = volumesAt + i * Wire.VOLUME_ENTRY_BYTES;
            String f = "volumes[" + i + "].";
            int sbytes = r.u16Bounded(at + 4, f + "string_bytes", Wire.VOLUME_DEVICE_MIN_BYTES,
                    Wire.VOLUME_DEVICE_MAX_BYTES);
            int soffset = r.u32Bounded(at, f + "string_offset", tablesEnd, total - sbytes);
            int drive = r.u16Bounded(at + 6, f + "drive", 'A', 'Z');
            if ((soffset & 1) != 0 || (sbytes & 1) != 0) {
                throw r.fail(f + "string_offset", at, "odd offset or length");
            }
            try {
                volumes.add(new Subscription.Volume(r.utf16(soffset, sbytes, f + "device"), (char) drive));
            } catch (IllegalArgumentException e) {
                throw r.fail(f + "device", soffset, e.getMessage());
            }
        }
        Subscription decoded = new Subscription(opMask, verdictMask, (flags & Wire.CFG_F_INCLUDE_KERNEL_CALLERS) != 0,
                timeout, FailMode.fromCode(failMode), Verdict.fromCode(defaultVerdict), backlog, dataCap,
                prefixes, pids, volumes, groups);
        try {
            validateVolumes(volumes);
        } catch (IllegalArgumentException e) {
            throw r.fail("volumes", volumesAt, e.getMessage());
        }
        return decoded;
    }

    /**
     * Wire minor 3: the group table, with the driver's rules - ranges of MEMBER entries in ascending
     * order without overlap, every member in exactly one group, a group's first member beginning a
     * clause, member op_mask equal to the group's, EXCLUDE groups without verdict or fail mode, at most
     * HG_CLAUSE_MAX_COUNT clauses in all.
     */
    private static List<Subscription.Group> decodeGroups(WireReader r, int groupsAt, int groupCount,
                                                         List<Subscription.Prefix> entries, boolean[] member,
                                                         boolean[] clauseStart) {
        List<Subscription.Group> groups = new ArrayList<>(groupCount);
        int nextFree = 0;
        int covered = 0;
        int clauses = 0;
        for (int g = 0; g < groupCount; g++) {
            int at = groupsAt + g * Wire.GROUP_ENTRY_BYTES;
            String f = "groups[" + g + "].";
            int kind = r.u16Bounded(at, f + "kind", Wire.PREFIX_INCLUDE, Wire.PREFIX_EXCLUDE);
            boolean include = kind == Wire.PREFIX_INCLUDE;
            int gflags = r.u16(at + 2, f + "flags");
            if ((gflags & ~(include ? Wire.PREFIX_F_VERDICT : 0)) != 0) {
                throw r.fail(f + "flags", at + 2, String.format("bits 0x%X not allowed here", gflags));
            }
            int gmask = mask(r, at + 4, f + "op_mask", false);
            int gtimeout = (int) r.u32(at + 8, f + "timeout_ms");
            if (gtimeout != 0) {
                r.u32Bounded(at + 8, f + "timeout_ms", Wire.TIMEOUT_MIN_MS, Wire.TIMEOUT_MAX_MS);
            }
            int gfail = r.u16Bounded(at + 12, f + "fail_mode", FailMode.INHERIT.code(),
                    include ? FailMode.CLOSED.code() : FailMode.INHERIT.code());
            int first = r.u16Bounded(at + 14, f + "first_member", nextFree, entries.size() - 1);
            int count = r.u16Bounded(at + 16, f + "member_count", 1, entries.size() - first);
            if (r.u16(at + 18, f + "reserved") != 0) {
                throw r.fail(f + "reserved", at + 18, "must be 0");
            }
            if (!clauseStart[first]) {
                throw r.fail(f + "first_member", at + 14, "its first member does not begin a clause");
            }
            List<List<Subscription.Member>> groupClauses = new ArrayList<>();
            for (int i = first; i < first + count; i++) {
                Subscription.Prefix e = entries.get(i);
                if (!member[i]) {
                    throw r.fail(f + "first_member", at + 14, "entry " + i + " of its range is not a MEMBER");
                }
                if (e.opMask() != gmask) {
                    throw r.fail(f + "op_mask", at + 4, "member " + i + " has another op_mask");
                }
                if (clauseStart[i]) {
                    groupClauses.add(new ArrayList<>());
                }
                groupClauses.get(groupClauses.size() - 1).add(new Subscription.Member(e.match(), e.target(), e.prefix()));
            }
            clauses += groupClauses.size();
            if (clauses > Wire.CLAUSE_MAX_COUNT) {
                throw r.fail(f + "member_count", at + 16, "the groups have more than HG_CLAUSE_MAX_COUNT "
                        + Wire.CLAUSE_MAX_COUNT + " clauses");
            }
            nextFree = first + count;
            covered += count;
            groups.add(new Subscription.Group(include, gmask, (gflags & Wire.PREFIX_F_VERDICT) != 0, gtimeout,
                    FailMode.fromCode(gfail), groupClauses));
        }
        int members = 0;
        for (boolean m : member) {
            members += m ? 1 : 0;
        }
        if (members != covered) {
            throw r.fail("group_count", 46, (members - covered) + " MEMBER entries belong to no group");
        }
        return groups;
    }

    /** Wire minor 2: DATA is SetValue's, NEW_NAME RenameKey's, both SUFFIX or CONTAINS. */
    private static void checkSubjectTarget(WireReader r, String f, int at, Subscription.Target target,
                                           Subscription.Match match, int pmask) {
        if (target != Subscription.Target.DATA && target != Subscription.Target.NEW_NAME) {
            return;
        }
        if (match == Subscription.Match.PREFIX || match == Subscription.Match.EXACT) {
            throw r.fail(f + "match", at + 20, "a data or new-name entry is SUFFIX or CONTAINS, never " + match);
        }
        if ((pmask & ~target.ops()) != 0) {
            throw r.fail(f + "op_mask", at + 4, target == Subscription.Target.DATA
                    ? "value data exists for SetValue only" : "a new name exists for RenameKey only");
        }
    }

    private static int mask(WireReader r, int at, String field, boolean zeroAllowed) {
        int m = (int) r.u32(at, field);
        if ((m & ~Wire.OP_MASK_ALL) != 0 || (!zeroAllowed && m == 0)) {
            throw r.fail(field, at, String.format("0x%X is not a%s subset of HG_OP_MASK_ALL",
                    m, zeroAllowed ? "" : " non-empty"));
        }
        return m;
    }
}
