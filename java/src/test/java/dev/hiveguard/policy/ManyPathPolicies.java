package dev.hiveguard.policy;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Seeded generators of large policies over many distinct real-looking key paths (vendors'
 * software keys, services under CurrentControlSet, COM classes, user Run keys), the shape of
 * a fleet-wide allow/deny list: what the compiler's scale and fitting tests and the compile
 * benchmark need, and what {@link RandomPolicies} (a few dozen locations) does not give.
 */
public final class ManyPathPolicies {

    private static final String[] SHAPES = {
        "HKLM\\SOFTWARE\\Vendor%d\\Product%d\\Settings",
        "HKLM\\System\\CurrentControlSet\\Services\\Service%d\\Parameters%d",
        "HKCR\\CLSID\\{%08X-0000-4000-8000-%012X}\\InprocServer32",
        "HKCU\\Software\\Vendor%d\\Run%d",
        "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\app%d_%d.exe",
    };

    private ManyPathPolicies() {
    }

    /** The Sysmon-form TargetObject of rule {@code i}. */
    public static String path(int i) {
        String shape = SHAPES[i % SHAPES.length];
        return String.format(Locale.ROOT, shape, i, i * 7 + 1);
    }

    /**
     * {@code rules} include rules (block or audit, some with their own timeout or fail mode),
     * one distinct TargetObject prefix each, plus an exclusion every 50 rules.
     */
    public static String policyXml(long seed, int rules) {
        Random rnd = new Random(seed);
        StringBuilder b = new StringBuilder("<Sysmon schemaversion=\"4.90\"><EventFiltering>");
        for (int i = 0; i < rules; i++) {
            b.append("<RuleGroup name=\"g").append(i).append("\" groupRelation=\"or\" action=\"")
                    .append(rnd.nextInt(3) == 0 ? "audit" : "block").append('"');
            if (rnd.nextInt(5) == 0) {
                b.append(" timeout=\"").append(100 + rnd.nextInt(2000)).append('"');
            }
            if (rnd.nextInt(7) == 0) {
                b.append(" failmode=\"closed\"");
            }
            b.append("><RegistryEvent onmatch=\"include\"><Rule name=\"r").append(i)
                    .append("\" groupRelation=\"and\"><TargetObject condition=\"begin with\">").append(path(i))
                    .append("</TargetObject></Rule></RegistryEvent></RuleGroup>");
            if (i % 50 == 49) {
                b.append("<RegistryEvent onmatch=\"exclude\"><TargetObject condition=\"begin with\">")
                        .append(path(i)).append("\\Cache</TargetObject></RegistryEvent>");
            }
        }
        return b.append("</EventFiltering></Sysmon>").toString();
    }

    public static PolicyDocument policy(long seed, int rules) throws PolicyException {
        return PolicyParser.parse("many-paths.xml", policyXml(seed, rules).getBytes(StandardCharsets.UTF_8));
    }

    /** Events on, under and beside the paths of a {@code rules}-rule policy, in kernel form. */
    public static List<RegistryEvent> events(long seed, int rules, int n) {
        Random rnd = new Random(seed);
        List<RegistryEvent> out = new ArrayList<>(n);
        String[] tails = {"", "\\Sub", "\\Cache\\x", "Sibling", "\\Settings\\Deep\\Deeper"};
        for (int i = 0; i < n; i++) {
            String key = path(rnd.nextInt(rules + rules / 10 + 1)) + tails[rnd.nextInt(tails.length)];
            String kernel = RandomPolicies.kernelSpelling(rnd, key);
            Operation op = Operation.values()[rnd.nextInt(Operation.values().length)];
            String value = op == Operation.SET_VALUE || op == Operation.DELETE_VALUE ? "v" : "";
            out.add(new RegistryEvent(0, i, Instant.EPOCH, op, 0, 4 + rnd.nextInt(9000), 1, 1, 0, kernel, value,
                    op == Operation.RENAME_KEY ? "n" : "", "C:\\Windows\\System32\\reg.exe", "S-1-5-18",
                    op == Operation.SET_VALUE ? 4 : 0, op == Operation.SET_VALUE ? new byte[] {1, 0, 0, 0} : new byte[0],
                    op == Operation.SET_VALUE ? 4 : 0));
        }
        return out;
    }
}
