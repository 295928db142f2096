package dev.hiveguard.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.policy.SubscriptionMatcher;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The NT-to-Win32 translation of image paths, with the volume table a Windows machine's
 * QueryDosDevice gives (which cannot be called here) supplied as data.
 */
class ImagePathsTest {

    private static final Map<String, String> TABLE = Map.of(
            "\\Device\\HarddiskVolume3", "C:",
            "\\Device\\HarddiskVolume10", "D:");

    private final ImagePaths paths = new ImagePaths(() -> TABLE, "C:\\Windows");

    @Test
    void volumePathsBecomeDriveLetters() {
        assertEquals("C:\\Windows\\System32\\reg.exe",
                paths.toWin32("\\Device\\HarddiskVolume3\\Windows\\System32\\reg.exe"));
        assertEquals("D:\\Tools\\x.exe", paths.toWin32("\\Device\\HarddiskVolume10\\Tools\\x.exe"));
        assertEquals("C:\\Users\\a\\AppData\\Local\\Temp\\dropper.exe",
                paths.toWin32("\\device\\harddiskvolume3\\Users\\a\\AppData\\Local\\Temp\\dropper.exe"),
                "the object manager is case-insensitive");
    }

    @Test
    void volumeNumbersMatchWholeComponentsOnly() {
        // HarddiskVolume1 must not be read as a prefix of HarddiskVolume10.
        ImagePaths one = new ImagePaths(() -> Map.of("\\Device\\HarddiskVolume1", "E:"), null);
        assertEquals("\\Device\\HarddiskVolume10\\x.exe", one.toWin32("\\Device\\HarddiskVolume10\\x.exe"));
        assertEquals("E:\\x.exe", one.toWin32("\\Device\\HarddiskVolume1\\x.exe"));
    }

    @Test
    void otherNtFormsAndWin32PathsAreHandled() {
        assertEquals("C:\\Windows\\System32\\smss.exe", paths.toWin32("\\SystemRoot\\System32\\smss.exe"));
        assertEquals("C:\\x\\y.exe", paths.toWin32("\\??\\C:\\x\\y.exe"));
        assertEquals("C:\\already\\win32.exe", paths.toWin32("C:\\already\\win32.exe"));
        assertEquals("", paths.toWin32(""));
        assertEquals("\\Device\\Mup\\server\\share\\x.exe", paths.toWin32("\\Device\\Mup\\server\\share\\x.exe"),
                "a network path has no drive letter and stays in NT form");
    }

    @Test
    void unknownVolumeRereadsTheTableAtMostOncePerInterval() {
        AtomicInteger reads = new AtomicInteger();
        ImagePaths lazy = new ImagePaths(() -> {
            reads.incrementAndGet();
            return TABLE;
        }, null);
        assertEquals(1, reads.get(), "read once at start");
        for (int i = 0; i < 1000; i++) {
            lazy.toWin32("\\Device\\HarddiskVolume99\\x.exe");
        }
        assertEquals(1, reads.get(), "a volume without a letter must not re-read the table per event");
    }

    @Test
    void normalizeKeepsTheListWhenNothingChangesAndRewritesOnlyImages() {
        RegistryEvent win32 = event("C:\\Windows\\explorer.exe");
        List<RegistryEvent> same = List.of(win32, event(""));
        assertSame(same, paths.normalize(same));

        RegistryEvent nt = event("\\Device\\HarddiskVolume3\\Windows\\System32\\reg.exe");
        List<RegistryEvent> out = paths.normalize(List.of(win32, nt));
        assertSame(win32, out.get(0));
        assertEquals("C:\\Windows\\System32\\reg.exe", out.get(1).image());
        assertEquals(nt.keyPath(), out.get(1).keyPath());
        assertEquals(nt.id(), out.get(1).id());
    }

    private static RegistryEvent event(String image) {
        return new RegistryEvent(7, 1, Instant.EPOCH, Operation.SET_VALUE, RegistryEvent.F_VERDICT_REQUESTED, 4, 8, 1,
                250, "\\REGISTRY\\MACHINE\\SOFTWARE\\X", "v", "", image, "S-1-5-18", 4, new byte[] {1, 0, 0, 0}, 4);
    }

    /** The table as CONFIGURE's volume map (wire minor 2): one entry per letter, devices only. */
    @Test
    void theTableIsSentAsTheVolumeMap() {
        ImagePaths withSubst = new ImagePaths(() -> Map.of("\\Device\\HarddiskVolume3", "C:",
                "\\Device\\HarddiskVolume10", "D:", "\\??\\C:\\work", "S:"), null);
        assertEquals(List.of(new Subscription.Volume("\\device\\harddiskvolume3", 'C'),
                new Subscription.Volume("\\device\\harddiskvolume10", 'D')), withSubst.volumes(),
                "SUBST's \\??\\ target is no device: left out, images on it stay unmapped");
        // What the driver then derives, through the twin: the map's drive, or the NT form unmapped.
        List<Subscription.Volume> map = withSubst.volumes();
        assertEquals(new SubscriptionMatcher.ImageForm("D:\\Tools\\x.exe", true),
                SubscriptionMatcher.imageForm(map, "\\Device\\HarddiskVolume10\\Tools\\x.exe"));
        assertEquals(new SubscriptionMatcher.ImageForm("\\Device\\HarddiskVolume1\\Tools\\x.exe", false),
                SubscriptionMatcher.imageForm(map, "\\Device\\HarddiskVolume1\\Tools\\x.exe"));
    }

    /** refresh() reports a changed table, so the pump re-sends CONFIGURE; an unchanged one is no news. */
    @Test
    void refreshTellsWhetherTheTableChanged() {
        AtomicInteger reads = new AtomicInteger();
        ImagePaths moving = new ImagePaths(() -> reads.incrementAndGet() < 3
                ? Map.of("\\Device\\HarddiskVolume3", "C:")
                : Map.of("\\Device\\HarddiskVolume3", "C:", "\\Device\\HarddiskVolume7", "E:"), null);
        assertFalse(moving.refresh());
        assertEquals(1, moving.volumes().size());
        assertTrue(moving.refresh(), "a volume was mounted");
        assertEquals(2, moving.volumes().size());
        assertFalse(moving.refresh());
    }

    /** Off Windows: the simulator's convention, which replay uses to hand the core kernel-form images. */
    @Test
    void theSimulatedConventionRoundTrips() {
        assertEquals(26, ImagePaths.SIMULATED_VOLUMES.size());
        assertEquals("\\Device\\HarddiskVolume3\\Windows\\regedit.exe",
                ImagePaths.simulatedKernelPath("C:\\Windows\\regedit.exe"));
        ImagePaths host = new ImagePaths(() -> {
            Map<String, String> t = new java.util.HashMap<>();
            ImagePaths.SIMULATED_VOLUMES.forEach(v -> t.put(v.device(), v.drive() + ":"));
            return t;
        }, null);
        for (String image : List.of("C:\\Windows\\regedit.exe", "Z:\\x.exe", "c:\\lower.exe", "System", "",
                "\\\\server\\share\\x.exe")) {
            assertEquals(image, host.toWin32(ImagePaths.simulatedKernelPath(image)), image);
        }
    }
}
