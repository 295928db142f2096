package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code policy validate} / {@code policy show} as an admin runs them. */
class PolicyCommandTest {

    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.execute("policy", args);
    }

    private Path shipped(String name) throws Exception {
        Path f = dir.resolve(name);
        try (var in = PolicyCommandTest.class.getResourceAsStream("/policies/" + name)) {
            Files.write(f, in.readAllBytes());
        }
        return f;
    }

    @Test
    void validateAcceptsTheShippedPoliciesAndPrintsTheirHash() throws Exception {
        CliRun r = run("validate", shipped("protect.xml").toString());
        assertEquals(0, r.exit(), r.err);
        String hash = PolicyLoader.loadResource("protect.xml").hash();
        assertTrue(r.out.contains("valid, ") && r.out.contains("hash " + hash), r.out);
        CliRun audit = run("validate", shipped("audit-only.xml").toString());
        assertEquals(0, audit.exit(), audit.err);
        assertTrue(audit.out.contains("note: audit-only.xml:"), "ignored Sysmon sections are noted: " + audit.out);
        assertTrue(audit.out.contains("mode audit-only"), audit.out);
    }

    /**
     * 160 CurrentControlSet rules (which once validated and then made {@code run} exit 2) and
     * 20,000 rules: both valid, both compiled to a subscription the driver accepts, with a note
     * saying what was widened to fit.
     */
    @Test
    void validateAcceptsPoliciesWhoseTablesMustBeWidenedAndSaysSo() throws Exception {
        StringBuilder ccs = new StringBuilder("<Sysmon><EventFiltering>\n");
        for (int i = 0; i < 160; i++) {
            ccs.append("<RegistryEvent onmatch=\"include\" action=\"block\"><TargetObject condition=\"begin with\">")
                    .append("HKLM\\System\\CurrentControlSet\\Services\\Contoso Endpoint Telemetry Collector ").append(i)
                    .append("\\Parameters\\Diagnostics\\Collection Profiles\\Default Profile\\Event Forwarding\\Channel Settings")
                    .append("</TargetObject></RegistryEvent>\n");
        }
        Path f = dir.resolve("ccs.xml");
        Files.writeString(f, ccs.append("</EventFiltering></Sysmon>\n"));
        CliRun r = run("validate", f.toString());
        assertEquals(0, r.exit(), r.err);
        assertTrue(r.out.contains("driver subscription widened to fit the driver's limits: ")
                && r.out.contains("ControlSet0NN whole"), r.out);
        dev.hiveguard.wire.ConfigMessage.encode(PolicyLoader.load(f).subscription());

        Path big = dir.resolve("big.xml");
        Files.writeString(big, ManyPathPolicies.policyXml(3, 20_000));
        CliRun b = run("validate", big.toString());
        assertEquals(0, b.exit(), b.err);
        assertTrue(b.out.contains("valid, 20400 rule(s)") && b.out.contains("cut to its first"), b.out);
        CliRun show = run("show", big.toString());
        assertEquals(0, show.exit(), show.err);
        assertTrue(show.out.contains("widened to fit the driver's limits: "), show.out.substring(0, 300));
    }

    @Test
    void validateReportsEveryErrorLocatedAndFailsWithThePolicyExitCode() throws Exception {
        Path f = dir.resolve("bad.xml");
        Files.writeString(f, "<Sysmon><EventFiltering>\n<RegistryEvent onmatch=\"include\" action=\"deny\">\n"
                + "<TargetObject condition=\"like\">HKLM</TargetObject>\n</RegistryEvent></EventFiltering></Sysmon>");
        CliRun r = run("validate", f.toString());
        assertEquals(4, r.exit());
        String[] lines = r.err.strip().split("\\R");
        assertEquals(3, lines.length, r.err);
        assertTrue(lines[0].startsWith("bad.xml:2:") && lines[0].contains("bad value action=\"deny\""), lines[0]);
        assertTrue(lines[1].startsWith("bad.xml:3:") && lines[1].contains("unknown condition \"like\""), lines[1]);
        assertEquals("2 error(s); the policy cannot be used", lines[2]);
    }

    @Test
    void aMissingFileIsOneLine() {
        CliRun r = run("validate", dir.resolve("nope.xml").toString());
        assertEquals(4, r.exit());
        assertTrue(r.err.strip().endsWith("nope.xml: no such file"), r.err);
    }

    @Test
    void showPrintsRulesHashAndSubscription() throws Exception {
        CliRun r = run("show", shipped("protect.xml").toString());
        assertEquals(0, r.exit(), r.err);
        assertTrue(r.out.contains("hash " + PolicyLoader.loadResource("protect.xml").hash()), r.out);
        assertTrue(r.out.contains("include block \"UserInitMprLogonScript set\""), r.out);
        assertTrue(r.out.contains("TargetObject is \"HKCU\\Environment\\UserInitMprLogonScript\""), r.out);
        assertTrue(r.out.contains("driver subscription:"), r.out);
        assertTrue(r.out.contains("include \\REGISTRY\\USER\\ (key\\value)  [SetValue"), r.out); // a prefix of the full name
        assertTrue(r.out.contains("timeout=1000ms failmode=closed"), "the agent's own keys: " + r.out);
    }

    @Test
    void noSubcommandIsAUsageError() {
        assertEquals(2, run().exit());
    }
}
