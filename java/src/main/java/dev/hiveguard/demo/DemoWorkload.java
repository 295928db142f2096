package dev.hiveguard.demo;

import static dev.hiveguard.model.RegistryValueType.REG_BINARY;
import static dev.hiveguard.model.RegistryValueType.REG_DWORD;
import static dev.hiveguard.model.RegistryValueType.REG_EXPAND_SZ;
import static dev.hiveguard.model.RegistryValueType.REG_QWORD;
import static dev.hiveguard.model.RegistryValueType.REG_SZ;
import static dev.hiveguard.model.ValueRendering.dword;
import static dev.hiveguard.model.ValueRendering.qword;
import static dev.hiveguard.model.ValueRendering.sz;

import dev.hiveguard.model.Operation;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * The demo's registry activity: a desktop session's ordinary noise from several
 * processes, plus the persistence and tampering writes of real intrusions.
 *
 * <p>Paths, value names, types and data are taken from the public Sysmon recordings in
 * {@code ../shared/datasets} (OTRF Security-Datasets): Explorer's UserAssist and
 * FeatureUsage bookkeeping, svchost's AppModel state-repository cache, the W32Time
 * and Defender housekeeping of lsass and MsMpEng,
 * Office MRU lists; and the Run-key entry, UserInitMprLogonScript, EventLog Start = 4
 * and Fax ImagePath hijack those recordings show, plus the IFEO Debugger
 * accessibility backdoor (T1546.008). They are written in kernel form, as the driver
 * reports them: HKCU is {@code \REGISTRY\USER\<SID>}, CurrentControlSet is the
 * ControlSet001 it links to.
 */
public final class DemoWorkload {

    /** The interactive user of the recording sysmon-registry-disable-eventlog-service. */
    public static final String USER_SID = "S-1-5-21-968647429-258479840-2507984072-1002";
    public static final String SYSTEM_SID = "S-1-5-18";
    static final String HKCU = "\\REGISTRY\\USER\\" + USER_SID;
    static final String HKLM = "\\REGISTRY\\MACHINE";
    static final String SERVICES = HKLM + "\\SYSTEM\\ControlSet001\\Services";
    static final String USER_TEMP = "C:\\Users\\Pedro\\AppData\\Local\\Temp";

    public static final SimulatedProcess EXPLORER =
            SimulatedProcess.of("explorer", "C:\\Windows\\explorer.exe", 4072, USER_SID, 1);
    public static final SimulatedProcess SVCHOST =
            SimulatedProcess.of("svchost", "C:\\Windows\\System32\\svchost.exe", 1220, SYSTEM_SID, 0);
    public static final SimulatedProcess LSASS =
            SimulatedProcess.of("lsass", "C:\\Windows\\System32\\lsass.exe", 728, SYSTEM_SID, 0);
    public static final SimulatedProcess WORD = SimulatedProcess.of("winword",
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE", 6220, USER_SID, 1);
    public static final SimulatedProcess DEFENDER = SimulatedProcess.of("msmpeng",
            "C:\\ProgramData\\Microsoft\\Windows Defender\\platform\\4.18.2009.7-0\\MsMpEng.exe", 3408, SYSTEM_SID, 0);

    public static final SimulatedProcess DROPPER =
            SimulatedProcess.of("dropper", USER_TEMP + "\\updater.exe", 5376, USER_SID, 1);
    public static final SimulatedProcess REG_EXE =
            SimulatedProcess.of("reg", "C:\\Windows\\System32\\reg.exe", 8684, USER_SID, 1);
    public static final SimulatedProcess POWERSHELL = SimulatedProcess.of("powershell",
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", 7520, USER_SID, 1);
    public static final SimulatedProcess SC_EXE =
            SimulatedProcess.of("sc", "C:\\Windows\\System32\\sc.exe", 9012, USER_SID, 1);

    /** Noise processes, in the order their scripts are built. */
    public static final List<SimulatedProcess> NOISE_PROCESSES = List.of(EXPLORER, SVCHOST, LSASS, WORD, DEFENDER);

    private static final String USER_ASSIST = HKCU
            + "\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\UserAssist\\"
            + "{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\\Count";
    private static final String[] USER_ASSIST_VALUES = {
        // ROT13 of the program paths, as Explorer stores them.
        "{1NP14R77-02R7-4R5Q-O744-2RO1NR5198O7}\\pzq.rkr",
        "{1NP14R77-02R7-4R5Q-O744-2RO1NR5198O7}\\abgrcnq.rkr",
        "{1NP14R77-02R7-4R5Q-O744-2RO1NR5198O7}\\JvaqbjfCbjreFuryy\\i1.0\\cbjrefuryy.rkr",
        "HRZR_PGYFRFFVBA",
    };
    private static final String FEATURE_USAGE = HKCU
            + "\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\FeatureUsage\\AppSwitched";
    private static final String[] SWITCHED_APPS = {
        "{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\\cmd.exe",
        "{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\\notepad.exe",
        "Microsoft.Windows.Explorer",
    };
    private static final String STATE_REPOSITORY = HKLM
            + "\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\AppModel\\StateRepository\\Cache\\Package\\Data";
    private static final int STATE_REPOSITORY_ENTRIES = 0x29;
    private static final String WINDOWS_APPS = "C:\\Program Files\\WindowsApps\\";
    private static final String SECURE_TIME = SERVICES + "\\W32Time\\SecureTimeLimits\\RunTime";
    private static final String WORD_MRU = HKCU + "\\Software\\Microsoft\\Office\\16.0\\Word\\User MRU\\"
            + "ADAL_8F4C2C3E\\File MRU";
    private static final String DEFENDER_REPORTING = HKLM + "\\SOFTWARE\\Microsoft\\Windows Defender\\Reporting";

    /** Pids of further instances of a noise program: far above the recorded pids, multiples of 4 as on Windows. */
    static final long INSTANCE_PID_STRIDE = 20_000;

    /** Size of a Windows 10 UserAssist entry (run count, focus count, focus time, last run FILETIME...). */
    static final int USER_ASSIST_ENTRY_BYTES = 72;

    private DemoWorkload() {
    }

    /** The persistence and tampering writes, in the order they are raised. */
    public static List<ScriptedOperation> tampering() {
        List<ScriptedOperation> ops = new ArrayList<>();
        ops.add(new ScriptedOperation(DROPPER, Operation.SET_VALUE,
                HKCU + "\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "Updater", "", REG_SZ,
                sz("\"" + USER_TEMP + "\\updater.exe\" /background"), true,
                "T1547.001 Run key entry by a dropper in %TEMP%"));
        ops.add(new ScriptedOperation(REG_EXE, Operation.SET_VALUE, HKCU + "\\Environment", "UserInitMprLogonScript",
                "", REG_SZ, sz(USER_TEMP + "\\art.bat"), true, "T1037.001 logon script (UserInitMprLogonScript)"));
        ops.add(new ScriptedOperation(POWERSHELL, Operation.SET_VALUE, SERVICES + "\\EventLog", "Start", "",
                REG_DWORD, dword(4), true, "T1562.002 EventLog service disabled (Start = 4)"));
        ops.add(new ScriptedOperation(SC_EXE, Operation.SET_VALUE, SERVICES + "\\Fax", "ImagePath", "",
                REG_EXPAND_SZ, sz("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -noexit -c "
                        + "\"write-host 'T1543.003 Test'\""), true, "T1543.003 Fax service ImagePath hijack"));
        ops.add(new ScriptedOperation(REG_EXE, Operation.SET_VALUE,
                HKLM + "\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe",
                "Debugger", "", REG_SZ, sz("C:\\Windows\\System32\\cmd.exe"), true,
                "T1546.008 IFEO Debugger on sethc.exe (sticky keys backdoor)"));
        return ops;
    }

    /**
     * {@code count} noise operations for {@code process}, deterministic for a seed so a
     * failed demo can be rerun exactly.
     */
    public static List<ScriptedOperation> noise(SimulatedProcess process, int count, long seed) {
        Random rnd = new Random(seed ^ process.pid());
        List<ScriptedOperation> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ops.add(noiseOperation(process, i, rnd));
        }
        return ops;
    }

    /** An endless noise source for {@code process}, for runs bounded by time rather than count. */
    public static Iterator<ScriptedOperation> noiseSource(SimulatedProcess process, long seed) {
        Random rnd = new Random(seed ^ process.pid());
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public ScriptedOperation next() {
                return noiseOperation(process, next++, rnd);
            }
        };
    }

    /**
     * The {@code index}-th noise process: the templates in turn, later rounds as further
     * instances of the same programs (new pid and process key, same image and user).
     */
    public static SimulatedProcess noiseProcess(int index) {
        SimulatedProcess t = NOISE_PROCESSES.get(index % NOISE_PROCESSES.size());
        int round = index / NOISE_PROCESSES.size();
        if (round == 0) {
            return t;
        }
        return SimulatedProcess.of(t.name() + "#" + (round + 1), t.image(), t.pid() + INSTANCE_PID_STRIDE * round,
                t.userSid(), t.sessionId());
    }

    private static ScriptedOperation noiseOperation(SimulatedProcess p, int i, Random rnd) {
        SimulatedProcess template = templateOf(p);
        if (template == EXPLORER) {
            switch (i % 4) {
                case 0:
                    return noise(p, Operation.OPEN_KEY, USER_ASSIST, "", 0, null);
                case 1: {
                    byte[] entry = new byte[USER_ASSIST_ENTRY_BYTES];
                    rnd.nextBytes(entry);
                    return noise(p, Operation.SET_VALUE, USER_ASSIST,
                            USER_ASSIST_VALUES[rnd.nextInt(USER_ASSIST_VALUES.length)], REG_BINARY, entry);
                }
                case 2:
                    return noise(p, Operation.CREATE_KEY, FEATURE_USAGE, "", 0, null);
                default:
                    return noise(p, Operation.SET_VALUE, FEATURE_USAGE,
                            SWITCHED_APPS[rnd.nextInt(SWITCHED_APPS.length)], REG_DWORD, dword(1 + rnd.nextInt(200)));
            }
        }
        if (template == SVCHOST) {
            // The recorded cache keys are numbered 1..0x29 in hex.
            String entry = STATE_REPOSITORY + "\\" + Integer.toHexString(1 + i % STATE_REPOSITORY_ENTRIES);
            switch (i % 3) {
                case 0:
                    return noise(p, Operation.CREATE_KEY, entry, "", 0, null);
                case 1:
                    return noise(p, Operation.SET_VALUE, entry, "InstalledLocation", REG_SZ,
                            sz(WINDOWS_APPS + "Microsoft.BingWeather_4.25.20211.0_x64__8wekyb3d8bbwe"));
                default:
                    return noise(p, Operation.SET_VALUE, entry, "Flags", REG_DWORD, dword(0x0000_0408));
            }
        }
        if (template == LSASS) {
            switch (i % 3) {
                case 0:
                    return noise(p, Operation.CREATE_KEY, SECURE_TIME, "", 0, null);
                case 1:
                    return noise(p, Operation.SET_VALUE, SECURE_TIME, "SecureTimeTickCount", REG_QWORD,
                            qword(0x0040_7538L + i));
                default:
                    return noise(p, Operation.SET_VALUE, SECURE_TIME, "SecureTimeConfidence", REG_DWORD,
                            dword(6 + rnd.nextInt(3)));
            }
        }
        if (template == WORD) {
            if (i % 2 == 0) {
                return noise(p, Operation.OPEN_KEY, WORD_MRU, "", 0, null);
            }
            int item = 1 + rnd.nextInt(9);
            return noise(p, Operation.SET_VALUE, WORD_MRU, "Item " + item, REG_SZ,
                    sz("[F00000000][T01D6A68B48722AB7][O00000000]*C:\\Users\\Pedro\\Documents\\report-q"
                            + (1 + rnd.nextInt(4)) + ".docx"));
        }
        if (template == DEFENDER) {
            return i % 2 == 0
                    ? noise(p, Operation.SET_VALUE, DEFENDER_REPORTING, "SigUpdateTimestampsSinceLastHB", REG_SZ,
                            sz(""))
                    : noise(p, Operation.SET_VALUE, DEFENDER_REPORTING, "LastRebootTime", REG_QWORD,
                            qword(0x01D6_A68B_4872_2AB7L + i));
        }
        throw new IllegalArgumentException("no noise script for " + p.name());
    }

    private static SimulatedProcess templateOf(SimulatedProcess p) {
        for (SimulatedProcess t : NOISE_PROCESSES) {
            if (t.image().equals(p.image())) {
                return t;
            }
        }
        return p;
    }

    private static ScriptedOperation noise(SimulatedProcess p, Operation op, String key, String value, int type,
                                           byte[] data) {
        return new ScriptedOperation(p, op, key, value, "", type, data, false, op.eventType());
    }
}
