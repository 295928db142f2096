package dev.hiveguard.device;

import com.sun.jna.Platform;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the image paths the driver reports into the Win32 form admins write in rules.
 *
 * <p>The kernel names a process image by its NT path: {@code SeLocateProcessImageName}
 * returns {@code \Device\HarddiskVolume3\Windows\System32\reg.exe}, and early system
 * processes can appear as {@code \SystemRoot\System32\smss.exe} or {@code \??\C:\...}.
 * Sysmon - and so every rule an admin writes - says {@code C:\Windows\System32\reg.exe}.
 * The volume-to-drive table comes from {@code QueryDosDevice} for each drive letter, the
 * same mapping Explorer uses; it is re-read when an unknown volume shows up (a USB stick
 * or a newly mounted VHD), at most once per {@link #REFRESH_INTERVAL_NANOS}, so a path on
 * a volume without a letter costs one lookup, not one per event.
 *
 * <p>The same table, as {@link #volumes()}, is the volume map CONFIGURE carries (wire minor 2):
 * the driver derives Sysmon's form of an image itself for IMAGE entries. The agent re-sends
 * CONFIGURE when the table changes ({@link #refresh()}, polled by the decision pump).
 *
 * <p>Off Windows (the Linux host, replay) there is no QueryDosDevice: the table is the
 * simulator's convention {@link #SIMULATED_VOLUMES} (drive letter n is
 * {@code \Device\HarddiskVolume<n+1>}, so {@code C:} is volume 3, as on a typical install).
 * Replay hands the core images in that kernel form ({@link #simulatedKernelPath}) so the core's
 * own translation runs; images already in Win32 form pass through unchanged.
 */
public final class ImagePaths {

    private static final Logger LOG = LoggerFactory.getLogger(ImagePaths.class);
    /** A missed volume re-reads the table at most this often (10 s). */
    static final long REFRESH_INTERVAL_NANOS = 10_000_000_000L;
    private static final String DEVICE_PREFIX = "\\device\\";
    private static final String DOS_PREFIX = "\\??\\";
    private static final String SYSTEM_ROOT_PREFIX = "\\systemroot\\";

    private final Supplier<Map<String, String>> dosDevices;
    private final String systemRoot;
    private volatile Map<String, String> volumeToDrive;
    private volatile long lastRefreshNanos;

    /**
     * @param dosDevices  reads the current table: NT device name (e.g.
     *                    {@code \Device\HarddiskVolume3}) to drive ({@code C:})
     * @param systemRoot  the Windows directory, e.g. {@code C:\Windows}, or null if unknown
     */
    ImagePaths(Supplier<Map<String, String>> dosDevices, String systemRoot) {
        this.dosDevices = Objects.requireNonNull(dosDevices, "dosDevices");
        this.systemRoot = systemRoot;
        this.volumeToDrive = lowerKeys(dosDevices.get());
        this.lastRefreshNanos = System.nanoTime();
    }

    /** The translator for this machine: QueryDosDevice on Windows, the simulator's convention elsewhere. */
    public static ImagePaths forThisMachine() {
        if (Platform.isWindows()) {
            return new ImagePaths(DosDevices::query, System.getenv("SystemRoot"));
        }
        return new ImagePaths(ImagePaths::simulatedTable, null);
    }

    /**
     * A translator over a table read elsewhere ({@code \Device\HarddiskVolume3} to {@code C:}):
     * what a test uses to move a drive letter under a running agent.
     */
    public static ImagePaths ofTable(Supplier<Map<String, String>> table) {
        return new ImagePaths(table, null);
    }

    /** The simulator's volume map: {@code \Device\HarddiskVolume<n+1>} is the n-th letter (A = 0). */
    public static final List<Subscription.Volume> SIMULATED_VOLUMES = simulatedVolumes();

    private static List<Subscription.Volume> simulatedVolumes() {
        List<Subscription.Volume> out = new ArrayList<>(Subscription.VOLUME_MAX_COUNT);
        for (int i = 0; i < Subscription.VOLUME_MAX_COUNT; i++) {
            out.add(new Subscription.Volume("\\Device\\HarddiskVolume" + (i + 1), (char) ('A' + i)));
        }
        return List.copyOf(out);
    }

    private static Map<String, String> simulatedTable() {
        Map<String, String> table = new HashMap<>();
        for (Subscription.Volume v : SIMULATED_VOLUMES) {
            table.put(v.device(), v.drive() + ":");
        }
        return table;
    }

    /**
     * A recorded Win32 image ({@code C:\Windows\regedit.exe}) in the kernel
     * form the simulator's convention gives it ({@code \Device\HarddiskVolume3\Windows\regedit.exe});
     * anything else (a share, a bare name, empty) as it is.
     */
    public static String simulatedKernelPath(String win32) {
        if (win32 == null) {
            return null;
        }
        String s = win32;
        // Upper-case letters only: the pump turns the kernel form back into "C:\...", and a recorded
        // "c:\..." must come back as it was recorded.
        if (s.length() >= 3 && s.charAt(1) == ':' && s.charAt(2) == '\\' && s.charAt(0) >= 'A' && s.charAt(0) <= 'Z') {
            return "\\Device\\HarddiskVolume" + (Character.toUpperCase(s.charAt(0)) - 'A' + 1) + s.substring(2);
        }
        return win32;
    }

    /**
     * The current table as CONFIGURE's volume map: one entry per letter, in letter order; a
     * device with two letters keeps the first, and targets that are not device names
     * (SUBST's {@code \??\C:\dir}) or too long for the wire are left out - an image on them is
     * simply "unmapped" for the driver, which delivers rather than hides it.
     */
    public List<Subscription.Volume> volumes() {
        java.util.TreeMap<Character, String> byLetter = new java.util.TreeMap<>();
        volumeToDrive.forEach((device, drive) -> {
            if (drive.length() == 2 && drive.charAt(1) == ':') {
                byLetter.put(Character.toUpperCase(drive.charAt(0)), device);
            }
        });
        List<Subscription.Volume> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        byLetter.forEach((letter, device) -> {
            if (letter >= 'A' && letter <= 'Z' && device.startsWith(DEVICE_PREFIX) && !device.endsWith("\\")
                    && device.length() <= Subscription.VOLUME_DEVICE_MAX_CHARS && seen.add(device)) {
                out.add(new Subscription.Volume(device, letter));
            }
        });
        return out;
    }

    /**
     * Re-reads the table now (cheap: 26 QueryDosDevice calls on Windows); true when it changed,
     * i.e. the driver's volume map is stale and CONFIGURE should be sent again.
     */
    public boolean refresh() {
        Map<String, String> now = lowerKeys(dosDevices.get());
        lastRefreshNanos = System.nanoTime();
        if (now.equals(volumeToDrive)) {
            return false;
        }
        volumeToDrive = now;
        return true;
    }

    /** The Win32 form of {@code ntPath}, or {@code ntPath} itself when it has none. */
    public String toWin32(String ntPath) {
        if (ntPath.isEmpty() || ntPath.charAt(0) != '\\') {
            return ntPath; // already C:\... (host, replay) or empty
        }
        // Runs per event: compare the ASCII prefixes in place, lower-case only the device name.
        if (startsWithIgnoreCase(ntPath, DOS_PREFIX)) {
            return ntPath.substring(DOS_PREFIX.length());
        }
        if (startsWithIgnoreCase(ntPath, SYSTEM_ROOT_PREFIX) && systemRoot != null) {
            return systemRoot + ntPath.substring(SYSTEM_ROOT_PREFIX.length() - 1);
        }
        if (!startsWithIgnoreCase(ntPath, DEVICE_PREFIX)) {
            return ntPath;
        }
        int end = ntPath.indexOf('\\', DEVICE_PREFIX.length());
        String device = (end < 0 ? ntPath : ntPath.substring(0, end)).toLowerCase(Locale.ROOT);
        String drive = volumeToDrive.get(device);
        if (drive == null && refreshAllowed()) {
            volumeToDrive = lowerKeys(dosDevices.get());
            drive = volumeToDrive.get(device);
            if (drive == null) {
                LOG.debug("no drive letter for {}; image paths on it stay in NT form", device);
            }
        }
        if (drive == null) {
            return ntPath;
        }
        return end < 0 ? drive + "\\" : drive + ntPath.substring(end);
    }

    /** The events with their image in Win32 form; the same list when nothing changed. */
    public List<RegistryEvent> normalize(List<RegistryEvent> events) {
        List<RegistryEvent> out = null;
        for (int i = 0; i < events.size(); i++) {
            RegistryEvent e = events.get(i);
            String image = toWin32(e.image());
            if (out == null && image.equals(e.image())) {
                continue;
            }
            if (out == null) {
                out = new ArrayList<>(events.subList(0, i));
            }
            out.add(image.equals(e.image()) ? e : e.withImage(image));
        }
        return out == null ? events : out;
    }

    private static boolean startsWithIgnoreCase(String s, String lowerPrefix) {
        return s.regionMatches(true, 0, lowerPrefix, 0, lowerPrefix.length());
    }

    private boolean refreshAllowed() {
        long now = System.nanoTime();
        if (now - lastRefreshNanos < REFRESH_INTERVAL_NANOS) {
            return false;
        }
        lastRefreshNanos = now;
        return true;
    }

    private static Map<String, String> lowerKeys(Map<String, String> table) {
        Map<String, String> out = new HashMap<>();
        table.forEach((device, drive) -> out.put(device.toLowerCase(Locale.ROOT), drive));
        return Map.copyOf(out);
    }

    /**
     * QueryDosDevice for every drive letter; a letter that is not defined returns 0, and
     * 26 calls only when the table is read cost nothing. Targets that are not volumes
     * (SUBST's \??\C:\dir, redirector paths) never match an image's \Device\ prefix
     * and are harmless in the table. Windows only.
     */
    private static final class DosDevices {
        private static final int TARGET_CHARS = 1024;

        static Map<String, String> query() {
            com.sun.jna.platform.win32.Kernel32 k32 = com.sun.jna.platform.win32.Kernel32.INSTANCE;
            Map<String, String> table = new HashMap<>();
            char[] target = new char[TARGET_CHARS];
            for (int i = 0; i < 26; i++) {
                String drive = (char) ('A' + i) + ":";
                // The first string of the result is the current mapping (later ones are shadowed).
                if (k32.QueryDosDevice(drive, target, target.length) != 0) {
                    int len = 0;
                    while (len < target.length && target[len] != 0) {
                        len++;
                    }
                    table.put(new String(target, 0, len), drive);
                }
            }
            return table;
        }
    }
}
