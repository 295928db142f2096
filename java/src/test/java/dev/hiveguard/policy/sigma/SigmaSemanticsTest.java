package dev.hiveguard.policy.sigma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.CompiledPolicy;
import dev.hiveguard.policy.DatasetEvents;
import dev.hiveguard.policy.PolicyException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a Sigma rule means, construct by construct, and what is refused and why. */
class SigmaSemanticsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static String rule(String category, String detection) {
        return "title: test rule\nid: 0b4c1a57-0000-4000-8000-000000000001\nlevel: high\n"
                + "logsource:\n    product: windows\n    category: " + category + "\ndetection:\n" + detection;
    }

    static SigmaPolicyLoader.Loaded load(String yaml) throws Exception {
        return SigmaPolicyLoader.parse("t.yml", yaml.getBytes(StandardCharsets.UTF_8), null, "t.yml");
    }

    static CompiledPolicy policy(String yaml) throws Exception {
        SigmaPolicyLoader.Loaded l = load(yaml);
        assertEquals(List.of(), l.unsupported());
        return CompiledPolicy.compile(l.document());
    }

    static RegistryEvent set(String target, String details, String image) {
        ObjectNode o = JSON.createObjectNode();
        o.put("EventID", 13).put("EventType", "SetValue").put("TargetObject", target).put("Details", details)
                .put("Image", image).put("ProcessId", 1234).put("User", "DESKTOP\\alice");
        return DatasetEvents.toEvent(o, 1);
    }

    static RegistryEvent key(String eventType, String target) {
        ObjectNode o = JSON.createObjectNode();
        o.put("EventID", 12).put("EventType", eventType).put("TargetObject", target).put("Image", "C:\\x.exe")
                .put("ProcessId", 1234);
        return DatasetEvents.toEvent(o, 1);
    }

    static boolean fires(CompiledPolicy p, RegistryEvent e) {
        return p.decide(e).ruleName() != null;
    }

    static String reason(String yaml) throws Exception {
        SigmaPolicyLoader.Loaded l = load(yaml);
        assertEquals(0, l.rules().size(), "expected the rule to be refused");
        assertEquals(1, l.unsupported().size());
        String r = l.unsupported().get(0).reason();
        assertFalse(r.isBlank());
        return r;
    }

    private static final String RUN = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Evil";

    @Test
    void sameFieldTwiceIsAndAndAListIsOr() throws Exception {
        CompiledPolicy p = policy(rule("registry_set", "    sel:\n        TargetObject|contains: '\\CurrentVersion\\Run'\n"
                + "        TargetObject|endswith:\n            - '\\Evil'\n            - '\\Bad'\n    condition: sel\n"));
        assertTrue(fires(p, set(RUN, "x", "C:\\a.exe")));
        assertTrue(fires(p, set(RUN.replace("Evil", "bad"), "x", "C:\\a.exe")), "case-insensitive");
        assertFalse(fires(p, set(RUN.replace("Evil", "Good"), "x", "C:\\a.exe")));
        assertFalse(fires(p, set("HKLM\\SOFTWARE\\Other\\Evil", "x", "C:\\a.exe")));
    }

    @Test
    void notOfAFilterHoldsForEventsWithoutTheField() throws Exception {
        CompiledPolicy p = policy(rule("registry_event", "    sel:\n        TargetObject|contains: '\\Run'\n"
                + "    filter:\n        Details: 'DWORD (0x00000000)'\n    condition: sel and not filter\n"));
        assertTrue(fires(p, set(RUN, "DWORD (0x00000001)", "C:\\a.exe")));
        assertFalse(fires(p, set(RUN, "DWORD (0x00000000)", "C:\\a.exe")));
        assertTrue(fires(p, key("CreateKey", "HKLM\\SOFTWARE\\Run\\K")), "CreateKey has no Details: not filter holds");
    }

    @Test
    void categoryLimitsTheOperations() throws Exception {
        CompiledPolicy p = policy(rule("registry_delete", "    sel:\n        TargetObject|contains: '\\Run'\n    condition: sel\n"));
        assertTrue(fires(p, key("DeleteKey", "HKLM\\SOFTWARE\\Run\\K")));
        assertTrue(fires(p, key("DeleteValue", "HKLM\\SOFTWARE\\Run\\V")));
        assertFalse(fires(p, key("CreateKey", "HKLM\\SOFTWARE\\Run\\K")));
        assertFalse(fires(p, set(RUN, "x", "C:\\a.exe")));
    }

    @Test
    void wildcardsAndEscapes() throws Exception {
        CompiledPolicy p = policy(rule("registry_set", "    sel:\n        TargetObject: 'HKLM\\SOFTWARE\\\\*\\Image File Execution Options\\\\*\\Debugger'\n"
                + "    star:\n        TargetObject: 'HKCR\\\\\\*\\shell'\n"
                + "    lit:\n        Details: 'a\\*b\\?c'\n    one:\n        Image: 'C:\\Windows\\\\?.exe'\n"
                + "    condition: sel or lit or one or star\n"));
        // Sigma's escaping: a backslash before * makes it literal, so a path wildcard after a
        // backslash is written \\* (escaped backslash, then the wildcard), and the key HKCR\*
        // is written HKCR\\\* (escaped backslash, escaped star).
        assertTrue(fires(p, set("HKCR\\*\\shell", "x", "C:\\b.exe")), "HKCR\\* is the literal key");
        assertFalse(fires(p, set("HKCR\\txtfile\\shell", "x", "C:\\b.exe")));
        assertTrue(fires(p, set("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\calc.exe\\Debugger", "x", "C:\\b.exe")));
        assertFalse(fires(p, set("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\calc.exe\\GlobalFlag", "x", "C:\\b.exe")));
        assertTrue(fires(p, set("HKLM\\SOFTWARE\\K\\V", "a*b?c", "C:\\bb.exe")), "escaped * and ? are literal");
        assertFalse(fires(p, set("HKLM\\SOFTWARE\\K\\V", "aXbYc", "C:\\bb.exe")));
        assertTrue(fires(p, set("HKLM\\SOFTWARE\\K\\V", "x", "C:\\Windows\\z.exe")), "? is one character");
        assertFalse(fires(p, set("HKLM\\SOFTWARE\\K\\V", "x", "C:\\Windows\\zz.exe")));
    }

    @Test
    void quantifiersOverIdentifiers() throws Exception {
        String d = "    selection_a:\n        TargetObject|contains: '\\A\\'\n    selection_b:\n        TargetObject|contains: '\\B\\'\n"
                + "    _helper:\n        TargetObject|contains: '\\Never\\'\n";
        CompiledPolicy any = policy(rule("registry_set", d + "    condition: 1 of selection_*\n"));
        CompiledPolicy all = policy(rule("registry_set", d + "    condition: all of selection_*\n"));
        CompiledPolicy allThem = policy(rule("registry_set", d + "    condition: all of them\n"));
        RegistryEvent a = set("HKLM\\X\\A\\V", "x", "C:\\a.exe");
        RegistryEvent ab = set("HKLM\\X\\A\\B\\V", "x", "C:\\a.exe");
        assertTrue(fires(any, a));
        assertFalse(fires(all, a));
        assertTrue(fires(all, ab));
        assertTrue(fires(allThem, ab), "'them' leaves out identifiers starting with _");
        CompiledPolicy paren = policy(rule("registry_set", d + "    condition: not (selection_a and selection_b) and selection_a\n"));
        assertTrue(fires(paren, a));
        assertFalse(fires(paren, ab));
    }

    @Test
    void allModifierNullExistsCasedRegexWindashEventId() throws Exception {
        CompiledPolicy all = policy(rule("registry_set", "    sel:\n        Details|contains|all:\n            - 'powershell'\n            - '-enc'\n    condition: sel\n"));
        assertTrue(fires(all, set(RUN, "powershell -enc AAAA", "C:\\a.exe")));
        assertFalse(fires(all, set(RUN, "powershell -c x", "C:\\a.exe")));

        CompiledPolicy nul = policy(rule("registry_event", "    sel:\n        TargetObject|contains: '\\Run'\n    filter:\n        Details: null\n"
                + "    condition: sel and not filter\n"));
        assertTrue(fires(nul, set(RUN, "x", "C:\\a.exe")));
        assertFalse(fires(nul, key("CreateKey", "HKLM\\Run\\K")), "no Details = null");

        CompiledPolicy exists = policy(rule("registry_event", "    sel:\n        NewName|exists: true\n    condition: sel\n"));
        assertFalse(fires(exists, set(RUN, "x", "C:\\a.exe")));

        CompiledPolicy cased = policy(rule("registry_set", "    sel:\n        Details|cased: 'Secret'\n    condition: sel\n"));
        assertTrue(fires(cased, set(RUN, "Secret", "C:\\a.exe")));
        assertFalse(fires(cased, set(RUN, "secret", "C:\\a.exe")));

        CompiledPolicy re = policy(rule("registry_set", "    sel:\n        TargetObject|re: '-1[0-9]{3}\\\\Software\\\\Classes\\\\'\n    condition: sel\n"));
        assertTrue(fires(re, set("HKU\\S-1-5-21-1-2-3-1001\\Software\\Classes\\x\\V", "x", "C:\\a.exe")));
        assertFalse(fires(re, set("HKU\\S-1-5-21-1-2-3-1001\\software\\Classes\\x\\V", "x", "C:\\a.exe")), "regexes are case-sensitive");
        CompiledPolicy rei = policy(rule("registry_set", "    sel:\n        TargetObject|re|i: '-1[0-9]{3}\\\\software\\\\classes\\\\'\n    condition: sel\n"));
        assertTrue(fires(rei, set("HKU\\S-1-5-21-1-2-3-1001\\Software\\Classes\\x\\V", "x", "C:\\a.exe")));

        CompiledPolicy dash = policy(rule("registry_set", "    sel:\n        Details|windash|contains: ' -enc '\n    condition: sel\n"));
        assertTrue(fires(dash, set(RUN, "ps /enc x", "C:\\a.exe")));
        assertTrue(fires(dash, set(RUN, "ps \u2013enc x", "C:\\a.exe")));
        assertFalse(fires(dash, set(RUN, "ps enc x", "C:\\a.exe")));

        CompiledPolicy eid = policy(rule("registry_event", "    sel:\n        EventID: 13\n        TargetObject|contains: '\\Run'\n    condition: sel\n"));
        assertTrue(fires(eid, set(RUN, "x", "C:\\a.exe")));
        assertFalse(fires(eid, key("CreateKey", "HKLM\\Run\\K")));
    }

    @Test
    void unsupportedConstructsAreListedWithAReason() throws Exception {
        assertTrue(reason(rule("registry_set", "    sel:\n        - 'mimikatz'\n    condition: sel\n")).contains("keyword"));
        assertTrue(reason(rule("registry_set", "    sel:\n        TargetObject|contains: x\n    condition: sel | count() > 5\n"))
                .contains("aggregation"));
        assertTrue(reason(rule("registry_set", "    sel:\n        TargetObject|base64offset|contains: x\n    condition: sel\n"))
                .contains("base64offset"));
        assertTrue(reason(rule("registry_set", "    sel:\n        CommandLine|contains: x\n    condition: sel\n"))
                .contains("CommandLine"));
        assertTrue(reason(rule("process_creation", "    sel:\n        Image|endswith: x\n    condition: sel\n"))
                .contains("process_creation"));
        assertTrue(reason(rule("registry_set", "    sel:\n        TargetObject|contains: x\n    timeframe: 5m\n    condition: sel\n"))
                .contains("timeframe"));
        assertTrue(reason(rule("registry_set", "    sel:\n        TargetObject|re: '(a)\\1'\n    condition: sel\n"))
                .contains("RE2"));
        assertTrue(reason(rule("registry_set", "    sel:\n        TargetObject: x\n    condition: sel and other\n"))
                .contains("other"));
        assertTrue(reason(rule("registry_set", "    sel:\n        TargetObject: x\n    condition: 1 of nothing*\n"))
                .contains("nothing*"));
        assertTrue(reason(rule("registry_set", "    sel:\n        TargetObject: x\n    condition: (sel\n"))
                .contains(")"));
    }

    @Test
    void yamlBombsAndBrokenFilesAreRefusedNotExpanded() throws Exception {
        String bomb = "a: &a ['x','x','x','x','x','x','x','x','x']\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n";
        PolicyException e = assertThrows(PolicyException.class, () -> load(bomb));
        assertTrue(e.getMessage().contains("anchors") || e.getMessage().contains("aliases"), e.getMessage());
        StringBuilder deep = new StringBuilder("detection:\n");
        for (int i = 0; i < 60; i++) {
            deep.append("  ".repeat(i + 1)).append("k").append(i).append(":\n");
        }
        assertThrows(PolicyException.class, () -> load(deep.toString()));

        // In a directory, a broken file is listed and the others still load.
        Path dir = Files.createDirectories(tmp.resolve("rules"));
        Files.writeString(dir.resolve("good.yml"), rule("registry_set", "    sel:\n        TargetObject|contains: x\n    condition: sel\n"));
        Files.writeString(dir.resolve("broken.yml"), "title: [unclosed\n");
        Files.writeString(dir.resolve("bomb.yml"), bomb);
        Files.writeString(dir.resolve("dup.yml"), rule("registry_set", "    sel:\n        TargetObject|contains: y\n    condition: sel\n"));
        SigmaPolicyLoader.Loaded l = SigmaPolicyLoader.load(dir);
        assertEquals(1, l.rules().size());
        assertEquals(3, l.unsupported().size(), l.unsupported()::toString);
        assertTrue(l.unsupported().stream().anyMatch(u -> u.reason().startsWith("duplicate id")));
        assertTrue(l.document().notes().stream().anyMatch(n -> n.contains("broken.yml:") && n.contains("not valid YAML")));
    }

    @Test
    void settingsFileMapsLevelsTagsAndIdsToActions() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("set"));
        Path rules = Files.createDirectories(dir.resolve("rules"));
        String det = "    sel:\n        TargetObject|contains: '\\Run\\'\n    condition: sel\n";
        Files.writeString(rules.resolve("crit.yml"), rule("registry_set", det).replace("level: high", "level: critical")
                .replace("0001", "0002"));
        Files.writeString(rules.resolve("high.yml"), rule("registry_set", det).replace("0001", "0003"));
        Files.writeString(rules.resolve("tagged.yml"), rule("registry_set", det).replace("0001", "0004")
                .replace("level: high", "level: low\ntags:\n    - attack.t1547.001"));
        Files.writeString(rules.resolve("low.yml"), rule("registry_set", det).replace("0001", "0005").replace("level: high", "level: low"));
        Path settings = dir.resolve("policy.yml");
        Files.writeString(settings, "hiveguard: sigma-policy\nrules:\n    - rules\nmode: audit-only\nlevels:\n    critical: block\n"
                + "    low: off\ntags:\n    attack.t1547.001: block\noverrides:\n    0b4c1a57-0000-4000-8000-000000000003: block\n");
        SigmaPolicyLoader.Loaded l = SigmaPolicyLoader.load(settings);
        assertEquals(3, l.rules().size());
        assertEquals(1, l.unsupported().size());
        assertTrue(l.unsupported().get(0).reason().contains("level 'low'"), l.unsupported()::toString);
        assertEquals(List.of(Action.BLOCK, Action.BLOCK, Action.BLOCK),
                l.document().rules().stream().map(r -> r.action()).toList());
        assertEquals("audit-only", l.document().settings().mode().xmlName());

        Files.writeString(settings, "hiveguard: sigma-policy\nrules:\n    - rules\nlevels:\n    severe: block\nbogus: 1\n");
        PolicyException e = assertThrows(PolicyException.class, () -> SigmaPolicyLoader.load(settings));
        assertEquals(2, e.errors().size(), e.getMessage());
        assertEquals(5, e.errors().get(0).line());
        assertEquals(6, e.errors().get(1).line());
    }
}
