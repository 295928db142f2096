package dev.hiveguard.policy.sigma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.PolicyHolder;
import dev.hiveguard.policy.PolicyLoader;
import dev.hiveguard.policy.PolicyReloader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hot reload of a Sigma settings file: its rules are resolved against its own folder on every reload. */
class SigmaReloadTest {

    @TempDir
    Path dir;

    private long stamp = 1_700_000_000_000L;

    private void write(Path f, String text) throws Exception {
        Files.writeString(f, text);
        stamp += 10_000;
        Files.setLastModifiedTime(f, FileTime.fromMillis(stamp));
    }

    @Test
    void aChangedSettingsFileSwapsThePolicyAndABrokenOneKeepsIt() throws Exception {
        Path rules = Files.createDirectories(dir.resolve("rules"));
        Files.writeString(rules.resolve("r.yml"), SigmaSemanticsTest.rule("registry_set",
                "    sel:\n        TargetObject|contains: '\\Run\\'\n    condition: sel\n"));
        Path settings = dir.resolve("policy.yml");
        write(settings, "hiveguard: sigma-policy\nrules:\n    - rules\n");
        CompiledPolicy first = PolicyLoader.load(settings);
        assertEquals(Action.AUDIT, first.document().rules().get(0).action(), "high audits by default");
        PolicyHolder holder = new PolicyHolder(first);
        PolicyReloader r = new PolicyReloader(settings, holder, Duration.ofSeconds(1), null);
        assertFalse(r.checkNow());

        write(settings, "hiveguard: sigma-policy\nrules:\n    - rules\nlevels:\n    high: block\n");
        assertTrue(r.checkNow());
        assertNotEquals(first.hash(), holder.hash());
        CompiledPolicy now = (CompiledPolicy) holder.current();
        assertEquals(Action.BLOCK, now.document().rules().get(0).action());

        write(settings, "hiveguard: sigma-policy\nrules:\n    - missing-folder\n");
        assertFalse(r.checkNow());
        assertEquals(now.hash(), holder.hash(), "an unusable settings file keeps the policy in force");
    }
}
