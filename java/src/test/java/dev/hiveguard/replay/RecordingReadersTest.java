package dev.hiveguard.replay;

import dev.hiveguard.model.RegistryValueType;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.ValueRendering;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordingReadersTest {

    private static final PathTranslator FIXTURE_PATHS = new PathTranslator(ReplayTestData.FIXTURE_USER_SID);
    private static final int FIXTURE_OPERATIONS = 14;

    @TempDir
    Path tmp;

    private static LoadedRecordings load(Path file) throws RecordingException {
        return LoadedRecordings.load(List.of(file), null, FIXTURE_PATHS);
    }

    @Test
    void jsonFixtureBecomesKernelOperations() throws Exception {
        LoadedRecordings r = load(ReplayTestData.fixture("persistence.jsonl"));
        assertEquals(List.of(), r.unparseable());
        assertEquals(FIXTURE_OPERATIONS, r.operations().size());

        RecordedOperation qword = r.operations().get(0);
        assertEquals(Operation.SET_VALUE, qword.operation());
        assertEquals("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\W32Time\\SecureTimeLimits", qword.keyPath());
        assertEquals("SecureTimeHigh", qword.valueName());
        assertEquals(RegistryValueType.REG_QWORD, qword.valueType());
        assertArrayEquals(ValueRendering.qword(0x01d682923f2eebc3L), qword.data());
        assertEquals(728, qword.pid());
        assertEquals("{69e8992a-d6e9-5f51-0c00-000000000400}", qword.processGuid());
        assertEquals(Instant.parse("2020-09-04T07:06:09.681Z"), qword.timestamp());
        assertEquals(1, qword.line());

        RecordedOperation binary = r.operations().get(2);
        assertEquals(RegistryValueType.REG_BINARY, binary.valueType());
        assertFalse(binary.dataKnown(), "Sysmon's 'Binary Data' hides the bytes");

        RecordedOperation runKey = r.operations().get(3);
        assertEquals("\\REGISTRY\\USER\\" + ReplayTestData.FIXTURE_USER_SID
                + "\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", runKey.keyPath());
        assertEquals("Updater", runKey.valueName());
        assertEquals(RegistryValueType.REG_SZ, runKey.valueType());
        assertTrue(new String(runKey.data(), StandardCharsets.UTF_16LE).endsWith("-enc $x\"\0"));

        RecordedOperation eventLogStart = r.operations().get(5);
        assertEquals("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\EventLog", eventLogStart.keyPath());
        assertArrayEquals(new byte[] {4, 0, 0, 0}, eventLogStart.data());

        RecordedOperation deleteKey = r.operations().get(8);
        assertEquals(Operation.DELETE_KEY, deleteKey.operation());
        assertEquals("", deleteKey.valueName(), "key operations keep the whole TargetObject as the key");

        RecordedOperation noEventType = r.operations().get(10);
        assertEquals(11, noEventType.line());
        assertEquals(Operation.SET_VALUE, noEventType.operation(), "EventID 13 is a value set");
        assertEquals(RecordedOperation.PID_UNKNOWN, noEventType.pid());
        assertEquals("ETagQueryParameters", noEventType.valueName());

        RecordedOperation defaultValue = r.operations().get(13);
        assertEquals("\\REGISTRY\\MACHINE\\SOFTWARE\\Classes\\txtfile\\shell\\open\\command", defaultValue.keyPath());
        assertEquals("", defaultValue.valueName(), "(Default) is the unnamed value");
    }

    /** The three fixtures describe the same operations; every field a rule can see must agree. */
    @Test
    void threeFormatsReadAsTheSameOperations() throws Exception {
        List<RecordedOperation> json = load(ReplayTestData.fixture("persistence.jsonl")).operations();
        LoadedRecordings xmlLoaded = load(ReplayTestData.fixture("persistence.xml"));
        LoadedRecordings csvLoaded = load(ReplayTestData.fixture("persistence.csv"));
        assertEquals(List.of(), xmlLoaded.unparseable());
        assertEquals(List.of(), csvLoaded.unparseable());
        List<RecordedOperation> xml = xmlLoaded.operations();
        List<RecordedOperation> csv = csvLoaded.operations();
        assertEquals(FIXTURE_OPERATIONS, xml.size());
        assertEquals(FIXTURE_OPERATIONS, csv.size());
        for (int i = 0; i < FIXTURE_OPERATIONS; i++) {
            RecordedOperation j = json.get(i);
            for (RecordedOperation other : List.of(xml.get(i), csv.get(i))) {
                String where = other.location() + " vs " + j.location();
                assertEquals(j.operation(), other.operation(), where);
                assertEquals(j.keyPath(), other.keyPath(), where);
                assertEquals(j.valueName(), other.valueName(), where);
                assertEquals(j.image(), other.image(), where);
                assertEquals(j.timestamp().atZone(ZoneOffset.UTC).toLocalTime(),
                        other.timestamp().atZone(ZoneOffset.UTC).toLocalTime(), where);
                if (j.dataKnown() && j.valueType() != RegistryValueType.REG_SZ) {
                    assertEquals(j.valueType(), other.valueType(), where);
                    assertArrayEquals(j.data(), other.data(), where);
                }
                if (j.valueType() == RegistryValueType.REG_SZ && j.dataKnown()) {
                    assertArrayEquals(j.data(), other.data(), where);
                }
            }
        }
        // the record whose collector dropped ProcessId has it in the other exports
        assertEquals(2636, xml.get(10).pid());
        assertEquals(2636, csv.get(10).pid());
        // ProcMon shows the bytes Sysmon hides
        assertTrue(csv.get(2).dataKnown());
        assertEquals(16, csv.get(2).data().length);
        assertEquals(Map.of("CreateFile", 1L, "RegCloseKey", 1L, "RegEnumKey", 1L, "RegQueryValue", 1L),
                csvLoaded.outsideClasses());
        assertEquals(0, xmlLoaded.outsideClassesTotal());
    }

    @Test
    void everyDatasetParsesWithoutUnparseableRecords() throws Exception {
        List<Path> files = ReplayTestData.datasets();
        assertEquals(4, files.size(), "datasets: " + files);
        LoadedRecordings all = LoadedRecordings.load(files, null, PathTranslator.defaults());
        assertEquals(List.of(), all.unparseable());
        assertEquals(968 + 13215 + 173 + 22, all.operations().size());
        assertEquals(0, all.outsideClassesTotal());

        LoadedRecordings runKeys = LoadedRecordings.load(
                List.of(ReplayTestData.dataset("sysmon-registry-run-keys-standard-user.jsonl.gz")), null,
                PathTranslator.defaults());
        List<RecordedOperation> noPid = runKeys.operations().stream()
                .filter(o -> o.pid() == RecordedOperation.PID_UNKNOWN).toList();
        assertEquals(9, noPid.size(), "the nine events the collector stripped of EventType and ProcessId");
        assertTrue(noPid.stream().allMatch(o -> o.operation() == Operation.SET_VALUE));
        assertEquals(List.of(3701L, 3727L, 3753L, 3779L, 3805L, 3831L, 3857L, 3883L, 3909L),
                noPid.stream().map(RecordedOperation::line).toList());
    }

    @Test
    void brokenJsonLinesAreCountedWithFileAndLine() throws Exception {
        Path file = tmp.resolve("broken.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"EventID\": 13, \"EventType\": \"SetValue\", \"TargetObject\": \"HKLM\\\\SOFTWARE\\\\X\\\\v\", "
                        + "\"Details\": \"DWORD (0x00000001)\", \"ProcessId\": \"42\"}",
                "{\"EventID\": 13, \"EventType\": \"SetValue\", \"TargetObj",
                "",
                "{\"EventID\": 12, \"EventType\": \"CreateKey\", \"Image\": \"C:\\\\x.exe\"}",
                "{\"EventID\": 12, \"TargetObject\": \"HKLM\\\\SOFTWARE\\\\X\"}",
                "[1, 2]",
                "{\"EventID\": 13, \"EventType\": \"SetValue\", \"TargetObject\": \"HKXX\\\\SOFTWARE\\\\v\"}",
                "{\"EventType\": \"SetValue\", \"TargetObject\": \"HKLM\\\\SOFTWARE\\\\v\"}",
                "{\"EventID\": 13, \"EventType\": \"SetValue\", \"TargetObject\": \"HKLM\\\\A\\\\v\", \"ProcessId\": \"x1\"}",
                "{\"EventID\": 1, \"Image\": \"C:\\\\x.exe\"}",
                "{\"EventID\": 14, \"EventType\": \"RenameKey\", \"TargetObject\": \"HKLM\\\\SOFTWARE\\\\Old\", "
                        + "\"NewName\": \"HKLM\\\\SOFTWARE\\\\New\"}",
                ""));
        LoadedRecordings r = load(file);
        String src = file.toString();
        assertEquals(List.of(src + ":2", src + ":4", src + ":5", src + ":6", src + ":7", src + ":8", src + ":9"),
                r.unparseable().stream().map(UnparseableRecord::location).toList());
        assertTrue(r.unparseable().get(1).reason().contains("missing TargetObject"), r.unparseable().get(1).reason());
        assertTrue(r.unparseable().get(2).reason().contains("EventID 12 without EventType"));
        assertTrue(r.unparseable().get(5).reason().contains("missing EventID"));
        assertEquals(2, r.operations().size());
        assertEquals(Operation.RENAME_KEY, r.operations().get(1).operation());
        assertEquals("New", r.operations().get(1).newName());
        assertEquals(Map.of("Sysmon event 1", 1L), r.outsideClasses());
    }

    @Test
    void winlogbeatNestingIsLifted() throws Exception {
        Path file = tmp.resolve("winlogbeat.jsonl");
        Files.writeString(file, "{\"@timestamp\":\"2020-10-20T02:47:08.761Z\",\"event\":{\"code\":\"13\"},"
                + "\"winlog\":{\"channel\":\"Microsoft-Windows-Sysmon/Operational\",\"event_id\":13,"
                + "\"event_data\":{\"EventType\":\"SetValue\",\"UtcTime\":\"2020-10-20 02:47:08.761\","
                + "\"ProcessId\":\"8684\",\"Image\":\"C:\\\\windows\\\\system32\\\\reg.exe\","
                + "\"TargetObject\":\"HKU\\\\S-1-5-21-1\\\\Environment\\\\UserInitMprLogonScript\","
                + "\"Details\":\"C:\\\\Temp\\\\art.bat\"},\"process\":{\"pid\":3252}}}\n");
        LoadedRecordings r = load(file);
        assertEquals(List.of(), r.unparseable());
        RecordedOperation op = r.operations().get(0);
        assertEquals(Operation.SET_VALUE, op.operation());
        assertEquals("\\REGISTRY\\USER\\S-1-5-21-1\\Environment", op.keyPath());
        assertEquals("UserInitMprLogonScript", op.valueName());
        assertEquals(8684, op.pid());
        assertArrayEquals(ValueRendering.sz("C:\\Temp\\art.bat"), op.data());
    }

    @Test
    void gzipIsDetectedByContentNotName() throws Exception {
        Path gz = tmp.resolve("recording.txt");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(Files.readAllBytes(ReplayTestData.fixture("persistence.jsonl")));
        }
        Path plainNamedGz = tmp.resolve("plain.jsonl.gz");
        Files.copy(ReplayTestData.fixture("persistence.jsonl"), plainNamedGz);
        assertEquals(FIXTURE_OPERATIONS, load(gz).operations().size());
        assertEquals(FIXTURE_OPERATIONS, load(plainNamedGz).operations().size());
    }

    @Test
    void missingOrUnreadableFilesAreOneLineErrorsNamingTheFile() throws Exception {
        Path missing = tmp.resolve("nope.jsonl");
        RecordingException e = assertThrows(RecordingException.class, () -> load(missing));
        assertEquals(missing + ": no such file", e.getMessage());

        e = assertThrows(RecordingException.class, () -> load(tmp));
        assertTrue(e.getMessage().startsWith(tmp.toString()), e.getMessage());

        Path garbage = tmp.resolve("garbage.bin");
        Files.write(garbage, new byte[] {1, 2, 3, 4, 5});
        e = assertThrows(RecordingException.class, () -> load(garbage));
        assertTrue(e.getMessage().startsWith(garbage + ": not a recording"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));

        Path empty = tmp.resolve("empty.jsonl");
        Files.writeString(empty, "");
        assertThrows(RecordingException.class, () -> load(empty));
    }

    @Test
    void eventViewerXmlInUtf16WithRootAndPrologReads() throws Exception {
        String events = Files.readString(ReplayTestData.fixture("persistence.xml"));
        String saved = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Events>\r\n" + events + "</Events>\r\n";
        Path file = tmp.resolve("saved.xml");
        byte[] body = saved.getBytes(StandardCharsets.UTF_16LE);
        byte[] withBom = new byte[body.length + 2];
        withBom[0] = (byte) 0xFF;
        withBom[1] = (byte) 0xFE;
        System.arraycopy(body, 0, withBom, 2, body.length);
        Files.write(file, withBom);
        LoadedRecordings r = load(file);
        assertEquals(List.of(), r.unparseable());
        assertEquals(FIXTURE_OPERATIONS, r.operations().size());
        assertEquals(3, r.operations().get(0).line(), "prolog and <Events> take lines 1 and 2");
    }

    @Test
    void damagedXmlEventIsCountedAndTheRestStillReads() throws Exception {
        List<String> lines = Files.readAllLines(ReplayTestData.fixture("persistence.xml"));
        lines.set(4, lines.get(4).replace("</Data><Data Name='ProcessId'>", "</Dat><Data Name='ProcessId'>"));
        lines.set(6, "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/hostname\">]>"
                + lines.get(6).replace("<Data Name='RuleName'>-", "<Data Name='RuleName'>&xxe;"));
        Path file = tmp.resolve("damaged.xml");
        Files.write(file, lines);
        LoadedRecordings r = load(file);
        assertEquals(List.of(file + ":5", file + ":7"), r.unparseable().stream().map(UnparseableRecord::location).toList());
        assertEquals(FIXTURE_OPERATIONS - 2, r.operations().size());
        assertTrue(r.operations().stream().noneMatch(o -> o.keyPath().contains("hostname")));

        Path truncated = tmp.resolve("truncated.xml");
        String all = Files.readString(ReplayTestData.fixture("persistence.xml"));
        Files.writeString(truncated, all.substring(0, all.length() - 40));
        LoadedRecordings t = load(truncated);
        assertEquals(FIXTURE_OPERATIONS - 1, t.operations().size());
        assertEquals(1, t.unparseable().size());
        assertEquals(FIXTURE_OPERATIONS, t.unparseable().get(0).line());
    }

    @Test
    void brokenProcmonRowsAreCountedWithTheirLine() throws Exception {
        Path file = tmp.resolve("procmon.csv");
        Files.writeString(file, String.join("\r\n",
                "\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\"",
                "\"9:00:00.0000000 PM\",\"a.exe\",\"1\",\"RegSetValue\",\"HKLM\\SOFTWARE\\A\\v\",\"SUCCESS\",\"Type: REG_DWORD, Length: 4, Data: 4294967295\"",
                "\"9:00:00.1000000 PM\",\"a.exe\",\"1\",\"RegSetValue\",\"HKLM\\SOFTWARE\\A\\v\",\"SUCCESS\",\"garbage\"",
                "\"9:00:00.2000000 PM\",\"a.exe\",\"1\",\"RegSetValue\"",
                "\"9:00:00.3000000 PM\",\"a.exe\",\"one\",\"RegCreateKey\",\"HKLM\\SOFTWARE\\A\",\"SUCCESS\",\"\"",
                "\"9:00:00.4000000 PM\",\"a.exe\",\"1\",\"RegOpenKey\",\"C:\\not\\a\\key\",\"SUCCESS\",\"\"",
                "\"9:00:00.5000000 PM\",\"a.exe\",\"1\",\"RegSetValue\",\"HKCU\\Software\\B\\multi\",\"SUCCESS\",\"Type: REG_SZ, Length: 8, Data: line1",
                "line2\"",
                "\"1:00:00.0000000 AM\",\"a.exe\",\"1\",\"RegRenameKey\",\"HKLM\\SOFTWARE\\Old\",\"SUCCESS\",\"New Name: Fresh\"",
                "\"1:00:00.0000000 AM\",\"a.exe\",\"1\",\"RegFlushKey\",\"HKLM\\SOFTWARE\\Old\",\"SUCCESS\",\"\"",
                "\"1:00:01.0000000 AM\",\"a.exe\",\"1\",\"RegQueryValue\",\"HKLM\\SOFTWARE\\Old\\x\",\"NAME NOT FOUND\",\"\"",
                "\"1:00:02.0000000 AM\",\"a.exe\",\"1\",\"RegSetValue\",\"HKLM\\SOFTWARE\\C\\v\",\"SUCCESS\",\"Type: REG_SZ, Length: 2, Data: unterminated",
                ""));
        LoadedRecordings r = load(file);
        String src = file.toString();
        assertEquals(List.of(src + ":3", src + ":4", src + ":5", src + ":6", src + ":12"),
                r.unparseable().stream().map(UnparseableRecord::location).toList());
        assertTrue(r.unparseable().get(4).reason().startsWith("malformed CSV"), r.unparseable().get(4).reason());
        assertEquals(4, r.operations().size());
        RecordedOperation dword = r.operations().get(0);
        assertArrayEquals(new byte[] {-1, -1, -1, -1}, dword.data());
        RecordedOperation multiLine = r.operations().get(1);
        assertEquals(7, multiLine.line());
        assertEquals("\\REGISTRY\\USER\\" + ReplayTestData.FIXTURE_USER_SID + "\\Software\\B", multiLine.keyPath());
        assertFalse(multiLine.dataKnown(), "Length 8 disagrees with the text shown");
        RecordedOperation rename = r.operations().get(2);
        assertEquals(Operation.RENAME_KEY, rename.operation());
        assertEquals("Fresh", rename.newName());
        assertTrue(rename.timestamp().isAfter(multiLine.timestamp()), "1 AM after 9 PM is the next day");
        assertEquals(Operation.FLUSH_KEY, r.operations().get(3).operation());
        assertEquals(Map.of("RegQueryValue", 1L), r.outsideClasses());
    }

    @Test
    void procmonCsvWithoutTheNeededColumnsIsAFileError() throws Exception {
        Path noPath = tmp.resolve("nopath.csv");
        Files.writeString(noPath, "\"Time of Day\",\"Operation\",\"Detail\"\r\n\"1:00:00 AM\",\"RegSetValue\",\"\"\r\n");
        RecordingException e = assertThrows(RecordingException.class, () -> load(noPath));
        assertTrue(e.getMessage().startsWith(noPath + ": not a recording"), e.getMessage());
        e = assertThrows(RecordingException.class,
                () -> LoadedRecordings.load(List.of(noPath), RecordingFormat.PROCMON_CSV, FIXTURE_PATHS));
        assertEquals(noPath + ": ProcMon CSV header has no \"Path\" column", e.getMessage());
        Path dup = tmp.resolve("dup.csv");
        Files.writeString(dup, "\"Operation\",\"Path\",\"Path\"\r\n\"RegOpenKey\",\"HKLM\\A\",\"x\"\r\n");
        e = assertThrows(RecordingException.class, () -> load(dup));
        assertTrue(e.getMessage().startsWith(dup + ": ProcMon CSV header is unusable"), e.getMessage());
    }

    @Test
    void procmonSetValueDetails() {
        RegValue sz = ProcmonCsvReader.setValueDetail("Type: REG_SZ, Length: 28, Data: C:\\x\\evil.exe");
        assertArrayEquals(ValueRendering.sz("C:\\x\\evil.exe"), sz.data());
        assertTrue(sz.known());
        RegValue shortSz = ProcmonCsvReader.setValueDetail("Type: REG_SZ, Length: 34, Data: C:\\x\\evil.exe");
        assertFalse(shortSz.known());
        assertEquals(34, shortSz.originalSize());
        RegValue qword = ProcmonCsvReader.setValueDetail("Type: REG_QWORD, Length: 8, Data: 132436803690884035");
        assertArrayEquals(ValueRendering.qword(0x01d682923f2eebc3L), qword.data());
        RegValue bin = ProcmonCsvReader.setValueDetail("Type: REG_BINARY, Length: 40, Data: 01 02 03 ...");
        assertArrayEquals(new byte[] {1, 2, 3}, bin.data());
        assertFalse(bin.known());
        RegValue none = ProcmonCsvReader.setValueDetail("Type: REG_NONE, Length: 0");
        assertEquals(0, none.data().length);
        assertTrue(none.known());
        assertNull(ProcmonCsvReader.setValueDetail("Type: REG_WHATEVER, Length: 4, Data: 1"));
        assertNull(ProcmonCsvReader.setValueDetail("Type: REG_DWORD, Length: 4, Data: lots"));
    }

    @Test
    void sysmonDetailsRoundTripThroughThePolicyRendering() throws Exception {
        LoadedRecordings all = LoadedRecordings.load(ReplayTestData.datasets(), null, PathTranslator.defaults());
        for (RecordedOperation op : all.operations()) {
            if (op.operation() == Operation.SET_VALUE && op.dataKnown()) {
                String rendered = ValueRendering.details(op.valueType(), op.data());
                assertEquals(rendered, ValueRendering.details(SysmonDetails.parse(rendered).type(),
                        SysmonDetails.parse(rendered).data()), op.location());
            }
        }
        assertFalse(SysmonDetails.parse("Binary Data").known());
        assertArrayEquals(new byte[] {4, 0, 0, 0}, SysmonDetails.parse("DWORD (0x00000004)").data());
    }

    @Test
    void pathTranslation() {
        PathTranslator p = PathTranslator.defaults();
        assertEquals("\\REGISTRY\\USER\\S-1-0-0\\Software\\X", p.toKernel("HKCU\\Software\\X"));
        assertEquals("\\REGISTRY\\USER\\S-1-5-21-1\\Software", new PathTranslator("S-1-5-21-1").toKernel("HKEY_CURRENT_USER\\Software"));
        assertEquals("\\REGISTRY\\MACHINE\\SOFTWARE\\Classes\\.txt", p.toKernel("HKCR\\.txt"));
        assertEquals("\\REGISTRY\\MACHINE\\SOFTWARE\\Classes\\.txt", p.toKernel("HKLM\\SOFTWARE\\Classes\\.txt"));
        assertEquals("\\REGISTRY\\MACHINE\\SOFTWARE\\Y", p.toKernel("HKEY_LOCAL_MACHINE\\SOFTWARE\\Y"));
        assertEquals("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\Fax",
                p.toKernel("HKLM\\System\\CurrentControlSet\\Services\\Fax"));
        assertEquals("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Hardware Profiles\\Current\\Software",
                p.toKernel("HKCC\\Software"));
        assertEquals("\\REGISTRY\\A\\{661d13c8}\\Root", p.toKernel("\\REGISTRY\\A\\{661d13c8}\\Root"));
        assertEquals("\\REGISTRY\\USER\\S-1-5-18", p.toKernel("HKU\\S-1-5-18\\"));
        assertNull(p.toKernel("C:\\Windows"));
        assertNull(p.toKernel("HKXX\\a"));
        assertNull(p.toKernel(""));
    }
}
