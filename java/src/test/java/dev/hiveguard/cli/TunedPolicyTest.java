package dev.hiveguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.policy.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** run --timeout-ms / --fail-mode change only the global timeout and fail mode of the policy's subscription. */
class TunedPolicyTest {

    @TempDir
    Path dir;

    @Test
    void overridesReplaceOnlyTheGlobalTimeoutAndFailMode() throws Exception {
        Policy base = PolicyLoader.fileOrBuiltInProtection(null).policy();
        assertSame(base, TunedPolicy.of(base, null, null), "no override, no wrapper");

        Policy tuned = TunedPolicy.of(base, 900, FailMode.CLOSED);
        Subscription s = base.subscription();
        Subscription t = tuned.subscription();
        assertEquals(900, t.timeoutMs());
        assertEquals(FailMode.CLOSED, t.failMode());
        assertEquals(s.opMask(), t.opMask());
        assertEquals(s.verdictOpMask(), t.verdictOpMask());
        assertEquals(s.prefixes(), t.prefixes(), "per-prefix timeouts and fail modes stay the policy's");
        assertEquals(s.defaultVerdict(), t.defaultVerdict());
        assertEquals(base.hash(), tuned.hash());
        assertTrue(tuned.name().contains("timeout 900 ms, fail closed"), tuned.name());

        Policy onlyTimeout = TunedPolicy.of(base, 40, null);
        assertEquals(s.failMode(), onlyTimeout.subscription().failMode());
    }

    @Test
    void theBuiltInPolicyIsTheShippedProtectXml() throws Exception {
        PolicyLoader.Loaded builtIn = PolicyLoader.fileOrBuiltInProtection(null);
        assertTrue(builtIn.builtInProtection());
        Path copy = dir.resolve("protect.xml");
        try (var in = PolicyLoader.class.getResourceAsStream(PolicyLoader.BUILT_IN_PROTECTION)) {
            Files.write(copy, in.readAllBytes());
        }
        PolicyLoader.Loaded fromFile = PolicyLoader.fromFile(copy);
        assertEquals(builtIn.policy().hash(), fromFile.policy().hash());
        assertTrue(!fromFile.builtInProtection(), "a file is the admin's policy, even with the same content");
    }
}
