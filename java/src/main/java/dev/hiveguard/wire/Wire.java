package dev.hiveguard.wire;

/**
 * Constants of {@code driver/include/hiveguard_wire.h}, named as there without the
 * {@code HG_} prefix. The IOCTL codes are computed with {@link #ctlCode} exactly as the
 * header's {@code CTL_CODE} does, not copied as numbers; the golden-vector tests
 * prove the rest against the C side.
 */
public final class Wire {

    private Wire() {
    }

    // ---- identity and version ------------------------------------------------
    /** "HGRD" in memory order. */
    public static final int MAGIC = 0x44524748;
    public static final int VERSION_MAJOR = 1;
    public static final int VERSION_MINOR = 3;
    /** What CreateFileW opens, on Windows and in the Linux host alike. */
    public static final String USER_PATH = "\\\\.\\HiveGuard";

    // ---- IOCTLs --------------------------------------------------------------
    /** Customer range (>= 0x8000), so it cannot clash with Microsoft's device types. */
    public static final int DEVICE_TYPE = 0x8A47;
    public static final int METHOD_BUFFERED = 0;
    /** FILE_READ_DATA | FILE_WRITE_DATA: a read-only handle must not steer verdicts. */
    public static final int FILE_READ_WRITE = 3;

    /** The Windows {@code CTL_CODE} macro. */
    public static int ctlCode(int deviceType, int function, int method, int access) {
        return (deviceType << 16) | (access << 14) | (function << 2) | method;
    }

    private static int ioctl(int function) {
        return ctlCode(DEVICE_TYPE, function, METHOD_BUFFERED, FILE_READ_WRITE);
    }

    public static final int IOCTL_HELLO = ioctl(0x900);
    public static final int IOCTL_CONFIGURE = ioctl(0x901);
    public static final int IOCTL_GET_EVENTS = ioctl(0x902);
    public static final int IOCTL_REPLY = ioctl(0x903);
    public static final int IOCTL_STATS = ioctl(0x904);
    /** Test build of the driver only. */
    public static final int IOCTL_INJECT = ioctl(0x9F0);

    /** "CONFIGURE" for IOCTL_CONFIGURE etc., or the code in hex: for error messages and logs. */
    public static String ioctlName(int code) {
        if (code == IOCTL_HELLO) {
            return "HELLO";
        } else if (code == IOCTL_CONFIGURE) {
            return "CONFIGURE";
        } else if (code == IOCTL_GET_EVENTS) {
            return "GET_EVENTS";
        } else if (code == IOCTL_REPLY) {
            return "REPLY";
        } else if (code == IOCTL_STATS) {
            return "STATS";
        } else if (code == IOCTL_INJECT) {
            return "INJECT";
        }
        return String.format("IOCTL 0x%08X", code);
    }

    // ---- limits (name, default, legal range) ---------------------------------
    public static final int TIMEOUT_MIN_MS = 1;
    public static final int TIMEOUT_DEFAULT_MS = 250;
    public static final int TIMEOUT_MAX_MS = 30_000;

    public static final int BACKLOG_MIN = 16;
    public static final int BACKLOG_DEFAULT = 4096;
    public static final int BACKLOG_MAX = 65_536;
    public static final int BACKLOG_MAX_BYTES = 16 * 1024 * 1024;

    public static final int DATA_CAP_DEFAULT = 4096;
    public static final int DATA_CAP_MAX = 16_384;

    public static final int PREFIX_MAX_COUNT = 4096;
    public static final int PREFIX_MAX_BYTES = 2048;
    public static final int PATTERN_MAX_COUNT = 2048;
    public static final int PATTERN_MAX_BYTES = 1024;
    public static final int PATTERN_MAX_UNITS = 65_535;
    public static final int PATTERN_MAX_CELLS = 4 * 1024 * 1024;
    public static final int EXCLUDED_PID_MAX_COUNT = 256;
    public static final int VOLUME_MAX_COUNT = 26;
    public static final int VOLUME_DEVICE_MIN_BYTES = 4;
    public static final int VOLUME_DEVICE_MAX_BYTES = 256;
    /** Wire minor 3: AND groups, and their clauses all together. */
    public static final int GROUP_MAX_COUNT = 256;
    public static final int CLAUSE_MAX_COUNT = 256;
    public static final int CONFIG_MAX_BYTES = 1024 * 1024;

    public static final int REPLY_MAX_ENTRIES = 4096;
    public static final int PARKED_MAX = 64;

    public static final int KEY_PATH_MAX_BYTES = 8192;
    public static final int VALUE_NAME_MAX_BYTES = 1024;
    public static final int NEW_NAME_MAX_BYTES = 1024;
    public static final int IMAGE_MAX_BYTES = 2048;
    public static final int USER_SID_MAX_BYTES = 384;

    public static final int EVENT_HEADER_BYTES = 80;
    public static final int EVENT_ALIGN = 8;
    public static final int MAX_EVENT_BYTES = 32_768;
    public static final int BATCH_HEADER_BYTES = 24;
    public static final int GET_EVENTS_MIN_BYTES = BATCH_HEADER_BYTES + MAX_EVENT_BYTES;
    public static final int GET_EVENTS_MAX_BYTES = 1024 * 1024;

    // ---- fixed structure sizes (the header's static asserts) -----------------
    public static final int HELLO_REQUEST_BYTES = 16;
    public static final int HELLO_REPLY_BYTES = 56;
    /** A 1.0 driver's HELLO reply: the fields up to instance_id. */
    public static final int HELLO_REPLY_V1_0_BYTES = 40;
    public static final int CONFIG_HEADER_BYTES = 48;
    public static final int PREFIX_ENTRY_BYTES = 24;
    public static final int EXCLUDED_PID_BYTES = 8;
    public static final int VOLUME_ENTRY_BYTES = 8;
    public static final int GROUP_ENTRY_BYTES = 20;
    public static final int REPLY_HEADER_BYTES = 8;
    public static final int REPLY_ENTRY_BYTES = 16;
    public static final int REPLY_RESULT_BYTES = 16;
    public static final int STATS_BYTES = 8 + 28 * 8;
    public static final int INJECT_HEADER_BYTES = 40;
    public static final int INJECT_RESULT_BYTES = 8;

    // ---- enumerations without a model type -----------------------------------
    public static final int OP_COUNT = 15;
    /** Every class, bit 0 unused. */
    public static final int OP_MASK_ALL = ((1 << OP_COUNT) - 1) & ~1;

    public static final int VERDICT_NONE = 0;

    public static final int PREFIX_INCLUDE = 1;
    public static final int PREFIX_EXCLUDE = 2;
    /** Wire minor 3: a member of an AND group. */
    public static final int PREFIX_MEMBER = 3;
    public static final int PREFIX_F_VERDICT = 0x0001;
    /** Wire minor 3, MEMBER only: begins its group's next clause. */
    public static final int PREFIX_F_CLAUSE = 0x0002;
    public static final int PREFIX_F_ALL = 0x0003;

    public static final int MATCH_PREFIX = 0;
    public static final int MATCH_SUFFIX = 1;
    public static final int MATCH_CONTAINS = 2;
    public static final int MATCH_EXACT = 3;
    public static final int TARGET_KEY_PATH = 0;
    public static final int TARGET_FULL_NAME = 1;
    public static final int TARGET_IMAGE = 2;
    public static final int TARGET_DATA = 3;
    public static final int TARGET_NEW_NAME = 4;
    /** {@code HG_DATA_MATCH_MAX_BYTES}: longer REG_SZ / REG_EXPAND_SZ text is "unknown" to DATA entries. */
    public static final int DATA_MATCH_MAX_BYTES = 16384;

    public static final int CFG_F_INCLUDE_KERNEL_CALLERS = 0x0001;
    public static final int CFG_F_ALL = 0x0001;

    // ---- HG_EVENT_HEADER.flags (also on RegistryEvent) -----------------------
    public static final int EVENT_F_VERDICT_REQUESTED = 0x0001;
    public static final int EVENT_F_DATA_TRUNCATED = 0x0002;
    public static final int EVENT_F_NAME_TRUNCATED = 0x0004;
    public static final int EVENT_F_KERNEL_CALLER = 0x0008;
    public static final int EVENT_F_DEFAULT_APPLIED = 0x0010;
    public static final int EVENT_F_DATA_UNREADABLE = 0x0020;
    public static final int EVENT_F_ALL = 0x003F;

    // ---- HG_HELLO_REPLY.capabilities -----------------------------------------
    public static final int CAP_REGISTRY_CALLBACK = 0x0001;
    public static final int CAP_KEY_OBJECT_ID_EX = 0x0002;
    public static final int CAP_INJECT = 0x0004;
    public static final int CAP_SIMULATOR = 0x0008;

    // ---- HG_INJECT_HEADER.flags ----------------------------------------------
    public static final int INJECT_F_KERNEL_CALLER = 0x0001;
    public static final int INJECT_F_AS_CLIENT = 0x0002;
    public static final int INJECT_F_ALL = 0x0003;

    /** 100 ns intervals between 1601-01-01 (FILETIME epoch) and 1970-01-01. */
    public static final long FILETIME_UNIX_EPOCH_OFFSET = 116_444_736_000_000_000L;

    static int alignUp(int n, int alignment) {
        return (n + alignment - 1) & -alignment;
    }
}
