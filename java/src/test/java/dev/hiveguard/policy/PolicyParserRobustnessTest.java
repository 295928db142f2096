package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Damaged policy files - truncated, bytes flipped, pieces duplicated - either parse or fail
 * with located PolicyErrors; nothing else escapes the parser (the agent reloads files an
 * admin is still editing).
 */
class PolicyParserRobustnessTest {

    private static final long SEED = 77L;
    private static final int MUTANTS = 3000;

    @Test
    void damagedPoliciesFailWithLocatedErrorsOnly() throws Exception {
        byte[] good;
        try (InputStream in = PolicyParserRobustnessTest.class.getResourceAsStream("/policies/protect.xml")) {
            good = in.readAllBytes();
        }
        Random rnd = new Random(SEED);
        int rejected = 0;
        for (int i = 0; i < MUTANTS; i++) {
            byte[] bad = mutate(rnd, good);
            try {
                CompiledPolicy.compile(PolicyParser.parse("mutant.xml", bad));
            } catch (PolicyException e) {
                rejected++;
                for (PolicyError err : e.errors()) {
                    assertTrue(err.line() >= 1 && err.column() >= 0 && !err.reason().isBlank(), err.toString());
                }
            } catch (RuntimeException e) {
                fail("mutant " + i + " escaped the parser with " + e + "\n" + new String(bad, java.nio.charset.StandardCharsets.UTF_8), e);
            }
        }
        assertTrue(rejected > MUTANTS / 2, "most mutants are broken: " + rejected);
    }

    private static byte[] mutate(Random rnd, byte[] src) {
        byte[] b = src.clone();
        switch (rnd.nextInt(4)) {
            case 0:
                return Arrays.copyOf(b, rnd.nextInt(b.length));
            case 1:
                String noise = "<>\"=/;&\\ax\u00e9";
                for (int k = 0; k < 1 + rnd.nextInt(4); k++) {
                    b[rnd.nextInt(b.length)] = (byte) noise.charAt(rnd.nextInt(noise.length()));
                }
                return b;
            case 2: {
                int from = rnd.nextInt(b.length);
                int len = Math.min(b.length - from, rnd.nextInt(200));
                byte[] out = new byte[b.length + len];
                int at = rnd.nextInt(b.length);
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, from, out, at, len);
                System.arraycopy(b, at, out, at + len, b.length - at);
                return out;
            }
            default: {
                int at = rnd.nextInt(b.length);
                int len = Math.min(b.length - at, rnd.nextInt(100));
                byte[] out = new byte[b.length - len];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + len, out, at, b.length - at - len);
                return out;
            }
        }
    }
}
