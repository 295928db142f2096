package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reloader tells its rejection listener (the agent's Event Log) what was refused and what stays. */
class PolicyReloaderRejectionTest {

    private static final String GOOD = "<Sysmon><EventFiltering>\n<RegistryEvent onmatch=\"include\">\n"
            + "<Details>a</Details></RegistryEvent></EventFiltering></Sysmon>";
    private static final String BAD = GOOD.replace("<Details>a", "<Details condition=\"resembles\">a");

    @TempDir
    Path dir;

    @Test
    void anInvalidVersionReachesTheRejectionListenerWithItsLocatedErrorsAndTheKeptHash() throws Exception {
        Path f = dir.resolve("policy.xml");
        Files.writeString(f, GOOD, StandardCharsets.UTF_8);
        CompiledPolicy good = PolicyLoader.load(f);
        List<String> rejections = new ArrayList<>();
        PolicyReloader r = new PolicyReloader(f, new PolicyHolder(good), Duration.ofSeconds(1), null,
                (file, errors, kept) -> rejections.add(file.getFileName() + " " + kept + " " + errors));
        assertFalse(r.checkNow());
        assertEquals(List.of(), rejections, "the file in force is no rejection");

        Files.writeString(f, BAD, StandardCharsets.UTF_8);
        Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        assertFalse(r.checkNow());
        assertEquals(1, rejections.size());
        String expected = "policy.xml " + good.hash() + " [policy.xml:3:";
        assertEquals(expected, rejections.get(0).substring(0, expected.length()), rejections.get(0));
    }
}
