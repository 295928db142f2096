package dev.hiveguard.replay;

/**
 * The recording formats replay reads, told apart by their first bytes so an admin can pass
 * whatever the tools produced without naming the format.
 */
public enum RecordingFormat {
    /** Sysmon events as JSON lines (Winlogbeat, NXLog, the OTRF datasets). */
    SYSMON_JSON("sysmon-json"),
    /** Sysmon events as exported by {@code wevtutil qe ... /f:xml} or Event Viewer's "Save as XML". */
    SYSMON_XML("sysmon-xml"),
    /** Process Monitor's File > Save > CSV. */
    PROCMON_CSV("procmon-csv"),
    /** Windows event log files (.evtx: Event Viewer's "Save All Events As", {@code wevtutil epl}). */
    EVTX("evtx");

    private final String cliName;

    RecordingFormat(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static RecordingFormat fromCliName(String name) {
        for (RecordingFormat f : values()) {
            if (f.cliName.equalsIgnoreCase(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown recording format '" + name + "' (expected sysmon-json, "
                + "sysmon-xml, procmon-csv or evtx)");
    }

    /**
     * Decides from the first (already decompressed) bytes; null when nothing fits.
     * UTF-16 text (what PowerShell's redirection writes) is recognised by its BOM or by the zero
     * high bytes of ASCII characters.
     */
    public static RecordingFormat detect(byte[] head, int length) {
        if (EvtxReader.hasSignature(head, length)) {
            return EVTX;
        }
        String text = TextDecoding.decodeHead(head, length);
        int i = 0;
        while (i < text.length() && (Character.isWhitespace(text.charAt(i)) || text.charAt(i) == '\uFEFF')) {
            i++;
        }
        if (i >= text.length()) {
            return null;
        }
        char first = text.charAt(i);
        if (first == '{') {
            return SYSMON_JSON;
        }
        if (first == '<') {
            return SYSMON_XML;
        }
        String firstLine = text.substring(i, indexOfLineEnd(text, i));
        if (firstLine.contains("Operation") && firstLine.contains("Path")) {
            return PROCMON_CSV;
        }
        return null;
    }

    private static int indexOfLineEnd(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            if (text.charAt(i) == '\n' || text.charAt(i) == '\r') {
                return i;
            }
        }
        return text.length();
    }
}
