package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The agent folds subscription paths exactly as the driver does: {@link SubscriptionMatcher#upcase}
 * against the C core's {@code hg_upcase16} on every one of the 65536 UTF-16 code units, read
 * from the golden vector {@code upcase.bin} that {@code make -C driver vectors} writes (mvn runs
 * it unless -DskipNative=true; see driver/tests/golden/README.md).
 */
class UpcaseVectorsTest {

    private static byte[] vector() throws IOException {
        String prop = System.getProperty("hiveguard.golden.dir");
        Path file = Path.of(prop != null ? prop : "target/golden").resolve("upcase.bin");
        assertTrue(Files.isRegularFile(file), "no " + file + ": it is built by `make -C driver vectors`");
        byte[] b = Files.readAllBytes(file);
        assertEquals(65536 * 2, b.length, "upcase.bin holds one little-endian uint16 per code unit");
        return b;
    }

    @Test
    void everyBmpCodeUnitFoldsLikeTheDriver() throws IOException {
        byte[] b = vector();
        List<String> diffs = new ArrayList<>();
        for (int c = 0; c <= 0xFFFF; c++) {
            char driver = (char) ((b[2 * c] & 0xFF) | (b[2 * c + 1] & 0xFF) << 8);
            char agent = SubscriptionMatcher.upcase((char) c);
            if (driver != agent && diffs.size() < 20) {
                diffs.add(String.format("U+%04X: driver U+%04X, agent U+%04X", c, (int) driver, (int) agent));
            }
        }
        assertTrue(diffs.isEmpty(), "folding differs: " + diffs);
    }

    @Test
    void foldsBeyondTheOldAsciiGreekCyrillicSubset() throws IOException {
        // Sanity of the vector itself, so an all-identity file cannot pass the test above.
        byte[] b = vector();
        int folded = 0;
        for (int c = 0; c <= 0xFFFF; c++) {
            if (((b[2 * c] & 0xFF) | (b[2 * c + 1] & 0xFF) << 8) != c) {
                folded++;
            }
        }
        assertTrue(folded > 1000, "only " + folded + " units fold");
        assertEquals('\u0243', SubscriptionMatcher.upcase('\u0180')); // Latin Extended-B
        assertEquals('\u0531', SubscriptionMatcher.upcase('\u0561')); // Armenian
        assertEquals('\u1C90', SubscriptionMatcher.upcase('\u10D0')); // Georgian -> Mtavruli
        assertEquals('\u0386', SubscriptionMatcher.upcase('\u03AC')); // Greek with tonos
        assertEquals('\u0131', SubscriptionMatcher.upcase('\u0131')); // dotless i is not ASCII I
        assertTrue(SubscriptionMatcher.startsWithUpcased(
                "\\REGISTRY\\MACHINE\\SOFTWARE\\\u01C6emal\\x", "\\registry\\machine\\software\\\u01C4EMAL"));
    }
}
