package dev.hiveguard.policy;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.ValueRendering;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded generators of policies and events for the property test and the benchmark:
 * paths built from real registry locations (machine, user, classes, control sets), rules
 * of every condition kind, and events placed on, under, beside and far from the rules'
 * paths, spelled the ways the kernel may spell them.
 */
public final class RandomPolicies {

    static final String[] ROOTS = {
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce",
        "HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Run",
        "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon",
        "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options",
        "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender",
        "HKLM\\SOFTWARE\\Microsoft\\Windows Defender",
        "HKLM\\System\\CurrentControlSet\\Services",
        "HKLM\\System\\CurrentControlSet\\Services\\EventLog",
        "HKLM\\System\\CurrentControlSet\\Control\\Lsa",
        "HKLM\\SYSTEM\\Setup",
        "HKLM\\SAM",
        "HKCR\\CLSID",
        "HKCR\\exefile\\shell\\open\\command",
        "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
        "HKCU\\Environment",
        "HKCU\\Software\\Classes\\CLSID",
        "HKU\\.DEFAULT\\Software\\Microsoft",
        "HKU\\S-1-5-18\\Software",
        "\\REGISTRY\\A\\{7ca2a469-7ee5-443b-8f85-50259decbb15}\\Root",
    };
    static final String[] SEGMENTS = {"Updater", "Start", "ImagePath", "ServiceDll", "Parameters", "Fax", "WinDefend",
        "Debugger", "notepad.exe", "{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}", "Shell", "Userinit", "x", "Run", "Ru", "R\u00e9seau"};
    static final String[] VALUE_NAMES = {"", "Start", "ImagePath", "ServiceDll", "Debugger", "Updater", "Shell",
        "UserInitMprLogonScript", "DisableAntiSpyware", "C:\\Windows\\System32\\shared.dll", "v"};
    static final String[] IMAGES = {"C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\services.exe",
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "C:\\Windows\\System32\\msiexec.exe",
        "C:\\Windows\\servicing\\TrustedInstaller.exe", "C:\\Users\\bob\\AppData\\Local\\Temp\\evil.exe",
        "\\??\\C:\\Windows\\System32\\reg.exe", "System", "",
        // the same relative paths elsewhere, and a share: what an IMAGE suffix after the drive also selects
        "D:\\Tools\\Windows\\System32\\svchost.exe", "\\\\fileserver\\share\\Temp\\evil.exe",
        // a volume without a drive letter: Sysmon prints the NT form, the driver's map has no entry for it
        "\\Device\\HarddiskVolume9\\Tools\\evil.exe"};
    static final String[] SIDS = {"S-1-5-21-3125456671-949036322-3048627137-1104", "S-1-5-21-1-2-3-500", ".DEFAULT",
        "S-1-5-18"};
    static final String[] DETAILS = {"DWORD (0x00000004)", "DWORD (0x00000000)", "C:\\Users\\bob\\evil.exe",
        "powershell -enc AAA", "Binary Data", "(Empty)", "C:\\Windows\\System32\\fxssvc.exe", "QWORD (0x00000001-0x00000002)"};
    private static final String[] SETTINGS_EXTRA = {"", "", "", "<HiveGuard defaultAction=\"audit\"/>",
        "<HiveGuard defaultAction=\"block\" timeout=\"400\" failmode=\"closed\"/>", "<HiveGuard mode=\"audit-only\"/>"};

    private RandomPolicies() {
    }

    /** The canonical XML text of a random policy of {@code rules} rules. */
    public static String policyXml(Random rnd, int rules, boolean randomSettings) {
        StringBuilder b = new StringBuilder("<Sysmon schemaversion=\"4.90\">");
        b.append(randomSettings ? SETTINGS_EXTRA[rnd.nextInt(SETTINGS_EXTRA.length)] : "");
        b.append("<EventFiltering>");
        for (int i = 0; i < rules; i++) {
            boolean include = rnd.nextInt(5) != 0;
            String action = new String[] {"block", "audit", "allow"}[rnd.nextInt(3)];
            b.append("<RuleGroup name=\"g").append(i).append("\" groupRelation=\"or\"");
            if (include) {
                b.append(" action=\"").append(action).append('"');
                if (rnd.nextInt(4) == 0) {
                    b.append(" timeout=\"").append(1 + rnd.nextInt(2000)).append('"');
                }
                if (rnd.nextInt(4) == 0) {
                    b.append(" failmode=\"").append(rnd.nextBoolean() ? "closed" : "open").append('"');
                }
            }
            b.append("><RegistryEvent onmatch=\"").append(include ? "include" : "exclude").append("\">");
            b.append("<Rule name=\"r").append(i).append("\" groupRelation=\"and\">");
            int paths = rnd.nextInt(4);
            for (int p = 0; p < paths; p++) {
                String cond = new String[] {"begin with", "begin with", "begin with", "is", "contains", "end with",
                    "not begin with", "contains", "end with", "contains any", "contains all"}[rnd.nextInt(11)];
                String value = rulePath(rnd, cond);
                if (cond.endsWith(" any") || cond.endsWith(" all")) {
                    value += ";" + rulePath(rnd, cond);
                }
                b.append("<TargetObject condition=\"").append(cond).append("\">").append(xml(value))
                        .append("</TargetObject>");
            }
            if (rnd.nextInt(3) == 0) {
                String ops = pick(rnd, new String[] {"SetValue", "SetValue;DeleteValue", "DeleteKey;RenameKey", "CreateKey",
                    "OpenKey", "SetKeySecurity;SetValue"});
                b.append("<EventType condition=\"is any\">").append(ops).append("</EventType>");
            }
            if (rnd.nextInt(4) == 0) {
                b.append("<ValueName condition=\"is any\">Start;ImagePath;Debugger</ValueName>");
            }
            if (rnd.nextInt(4) == 0) {
                String cond = pick(rnd, new String[] {"image", "is not", "is", "end with", "contains", "begin with",
                    "contains any"});
                b.append("<Image condition=\"").append(cond).append("\">")
                        .append(xml(imageValue(rnd, cond))).append("</Image>");
            }
            if (rnd.nextInt(5) == 0) {
                b.append("<Details condition=\"contains any\">powershell;\\Users\\;DWORD (0x00000004)</Details>");
            }
            if (paths == 0 && !endsWith(b, "groupRelation=\"and\">")) {
                // fine: a rule without a path
            } else if (endsWith(b, "groupRelation=\"and\">")) {
                b.append("<Details condition=\"contains\">evil</Details>");
            }
            b.append("</Rule></RegistryEvent></RuleGroup>");
        }
        b.append("</EventFiltering></Sysmon>");
        return b.toString();
    }

    public static PolicyDocument policy(Random rnd, int rules, boolean randomSettings) throws PolicyException {
        return PolicyParser.parse("random.xml", policyXml(rnd, rules, randomSettings).getBytes(StandardCharsets.UTF_8));
    }

    /** An Image condition's value: a whole image, or a piece of one as the condition takes it. */
    private static String imageValue(Random rnd, String cond) {
        String img = ruleImage(rnd);
        int cut = img.lastIndexOf('\\');
        switch (cond) {
            case "end with":
                return rnd.nextBoolean() && cut >= 0 ? img.substring(cut) : img.substring(Math.max(0, img.length() - 9));
            case "contains":
                return cut > 3 ? img.substring(2, cut) : img;
            case "contains any":
                return (cut >= 0 ? img.substring(cut + 1) : img) + ";" + ruleImage(rnd);
            case "begin with":
                // "\\" is how configurations select images Sysmon prints in NT form
                return rnd.nextInt(6) == 0 ? "\\" : cut > 0 ? img.substring(0, cut + 1) : img;
            case "image":
                return rnd.nextBoolean() && cut >= 0 ? img.substring(cut + 1) : img; // a bare file name, or the path
            default:
                return img;
        }
    }

    private static String ruleImage(Random rnd) {
        String img = "";
        while (img.isEmpty()) {
            img = pick(rnd, IMAGES).replace("\\??\\", "");
        }
        return img;
    }

    private static String rulePath(Random rnd, String cond) {
        String p = pick(rnd, ROOTS);
        int depth = rnd.nextInt(3);
        for (int i = 0; i < depth; i++) {
            p += "\\" + pick(rnd, SEGMENTS);
        }
        if (cond.equals("begin with") && rnd.nextInt(3) == 0) {
            p += "\\";
        }
        if (cond.equals("begin with") && rnd.nextInt(6) == 0) {
            p = p.substring(0, Math.max(2, p.length() - 1 - rnd.nextInt(Math.min(p.length() - 2, 12))));
        }
        if (cond.startsWith("contains") || cond.equals("end with")) {
            // Patterns as rule authors write them: a last segment, any tail (cutting through
            // the root, CurrentControlSet or a segment), one running on into the value name
            // or (Default), or any piece of the path.
            switch (rnd.nextInt(5)) {
                case 0:
                    p = p.substring(p.lastIndexOf('\\'));
                    break;
                case 1:
                    p = p.substring(rnd.nextInt(p.length() - 1));
                    break;
                case 2: {
                    String v = pick(rnd, VALUE_NAMES);
                    p = p + "\\" + (v.isEmpty() ? "(Default)" : v);
                    p = p.substring(rnd.nextInt(p.length() - 1));
                    break;
                }
                case 3: {
                    int a = rnd.nextInt(p.length() - 1);
                    p = p.substring(a, a + 1 + rnd.nextInt(p.length() - a - 1));
                    break;
                }
                default:
                    p = p.substring(Math.max(0, p.lastIndexOf('\\', p.lastIndexOf('\\') - 1)));
                    break;
            }
            if (p.contains(";")) {
                p = p.replace(";", "");
            }
            if (p.isEmpty()) {
                p = "x";
            }
        }
        return rnd.nextInt(4) == 0 ? p.toUpperCase(java.util.Locale.ROOT) : p;
    }

    /** A random event near the paths a policy talks about, in kernel form. */
    public static RegistryEvent event(Random rnd, long seq) {
        String sysmonKey = pick(rnd, ROOTS);
        int depth = rnd.nextInt(4);
        for (int i = 0; i < depth; i++) {
            sysmonKey += "\\" + pick(rnd, SEGMENTS);
        }
        String kernel = kernelSpelling(rnd, sysmonKey);
        Operation op = Operation.values()[rnd.nextInt(Operation.values().length)];
        String valueName = op == Operation.SET_VALUE || op == Operation.DELETE_VALUE ? pick(rnd, VALUE_NAMES) : "";
        ValueRendering.Value v = ValueRendering.fromDetails(pick(rnd, DETAILS));
        String newName = op == Operation.RENAME_KEY ? pick(rnd, SEGMENTS) : "";
        return new RegistryEvent(0, seq, Instant.EPOCH, op, 0, 4 + rnd.nextInt(9000), 1, 1, 0, kernel, valueName, newName,
                pick(rnd, IMAGES), rnd.nextBoolean() ? "S-1-5-18" : pick(rnd, SIDS), op == Operation.SET_VALUE ? v.type() : 0,
                op == Operation.SET_VALUE ? v.data() : new byte[0], v.data().length);
    }

    /** Kernel form of a Sysmon-form key: HKCU becomes some user's hive, control sets vary, case varies. */
    static String kernelSpelling(Random rnd, String sysmonKey) {
        String k = sysmonKey;
        if (RegistryPaths.isHkcu(k)) {
            String rest = k.substring(4);
            String sid = pick(rnd, SIDS);
            if (rest.toLowerCase(java.util.Locale.ROOT).startsWith("\\software\\classes") && rnd.nextBoolean()) {
                k = "HKU\\" + sid + "_Classes" + rest.substring("\\Software\\Classes".length());
            } else {
                k = "HKU\\" + sid + rest;
            }
        }
        String kernel = RegistryPaths.toKernel(k);
        String ccs = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001";
        if (kernel.startsWith(ccs)) {
            String set = new String[] {"ControlSet001", "ControlSet002", "CurrentControlSet", "ControlSet012"}[rnd.nextInt(4)];
            kernel = "\\REGISTRY\\MACHINE\\SYSTEM\\" + set + kernel.substring(ccs.length());
        }
        if (rnd.nextInt(4) == 0) {
            kernel = rnd.nextBoolean() ? kernel.toLowerCase(java.util.Locale.ROOT) : kernel.toUpperCase(java.util.Locale.ROOT);
        }
        return kernel;
    }

    /** StringBuilder.toString().endsWith without copying the whole policy text per rule. */
    private static boolean endsWith(StringBuilder b, String suffix) {
        return b.length() >= suffix.length() && b.substring(b.length() - suffix.length()).equals(suffix);
    }

    private static String pick(Random rnd, String[] a) {
        return a[rnd.nextInt(a.length)];
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;");
    }

    /** Random events for a benchmark or test, reproducible by seed. */
    public static List<RegistryEvent> events(long seed, int n) {
        Random rnd = new Random(seed);
        List<RegistryEvent> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(event(rnd, i));
        }
        return out;
    }
}
