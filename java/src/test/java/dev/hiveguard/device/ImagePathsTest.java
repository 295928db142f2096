package dev.hiveguard.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
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
}
