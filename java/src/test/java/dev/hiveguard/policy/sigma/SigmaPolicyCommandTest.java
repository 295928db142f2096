package dev.hiveguard.policy.sigma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code policy validate} / {@code policy show} given Sigma rules, as an admin runs them. */
class SigmaPolicyCommandTest {

    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.execute("policy", args);
    }

    @Test
    void validateTheSnapshotsRegistryRules() {
        CliRun r = run("validate", SigmaTestData.directory().resolve("rules").resolve("windows").resolve("registry").toString());
        assertEquals(0, r.exit(), r.err);
        assertTrue(r.out.contains("note: Sigma: 247 rule(s) loaded from 247 file(s), 0 not loaded"), r.out);
        assertTrue(r.out.contains("valid, 247 rule(s)"), r.out);
    }

    @Test
    void showListsWhatIsNotLoadedWithReasonsAndTheSubscription() throws Exception {
        Files.writeString(dir.resolve("run-key.yml"), SigmaSemanticsTest.rule("registry_set",
                "    sel:\n        TargetObject|startswith: 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\'\n"
                        + "    filter:\n        Image|endswith: '\\msiexec.exe'\n    condition: sel and not filter\n")
                .replace("level: high", "level: critical"));
        Files.writeString(dir.resolve("keywords.yml"), SigmaSemanticsTest.rule("registry_set",
                "    kw:\n        - 'mimikatz'\n    condition: kw\n").replace("0001", "0002"));
        Files.writeString(dir.resolve("autologger.yml"), SigmaSemanticsTest.rule("registry_set",
                "    a:\n        TargetObject|contains: '\\Control\\WMI\\Autologger\\'\n"
                        + "    b:\n        TargetObject|endswith: '\\Start'\n        Details: 'DWORD (0x00000000)'\n"
                        + "    condition: a and b\n").replace("0001", "0003"));
        CliRun r = run("show", dir.toString());
        assertEquals(0, r.exit(), r.err);
        // Wire minor 3: the AND is one group line, its clauses joined by AND (audit: no verdict).
        assertTrue(r.out.contains("include group *\\Control\\WMI\\Autologger\\* (key\\value) AND *\\Start (key\\value)"
                + " AND *DWORD (0x00000000)* (details)  [SetValue]\n"), r.out);
        assertTrue(r.out.contains("keywords.yml:9: Sigma rule 0b4c1a57-0000-4000-8000-000000000002 \"test rule\" not "
                + "loaded: search 'kw' is a keyword search"), r.out);
        assertTrue(r.out.contains("include block \"test rule (0b4c1a57-0000-4000-8000-000000000001)\""), r.out);
        assertTrue(r.out.contains("where TargetObject starts_with \"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\\" "
                + "and not Image ends_with \"\\msiexec.exe\""), r.out);
        assertTrue(r.out.contains("include \\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\ (key\\value)  [SetValue] verdict"),
                r.out);
    }

    @Test
    void aBrokenSettingsFileIsLocatedErrors() throws Exception {
        Path s = dir.resolve("policy.yml");
        Files.writeString(s, "hiveguard: sigma-policy\nrules: []\nmode: loud\n");
        CliRun r = run("validate", s.toString());
        assertEquals(4, r.exit());
        assertTrue(r.err.contains("policy.yml:2:8: rules must be a list"), r.err);
        assertTrue(r.err.contains("policy.yml:3:7: mode must be enforce or audit-only"), r.err);
    }
}
