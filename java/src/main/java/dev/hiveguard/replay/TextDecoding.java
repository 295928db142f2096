package dev.hiveguard.replay;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * Which character set a text recording is in. Windows tools disagree: ProcMon writes UTF-8
 * (with a BOM in recent versions), Event Viewer writes UTF-8, and PowerShell's {@code >}
 * redirection of wevtutil output writes UTF-16LE with a BOM.
 */
final class TextDecoding {

    private TextDecoding() {
    }

    /** The charset announced by a BOM or implied by zero bytes; UTF-8 otherwise. */
    static Charset sniff(byte[] head, int length) {
        if (length >= 2 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xFE) {
            return StandardCharsets.UTF_16LE;
        }
        if (length >= 2 && (head[0] & 0xFF) == 0xFE && (head[1] & 0xFF) == 0xFF) {
            return StandardCharsets.UTF_16BE;
        }
        if (length >= 2 && head[0] != 0 && head[1] == 0) {
            return StandardCharsets.UTF_16LE;
        }
        if (length >= 2 && head[0] == 0 && head[1] != 0) {
            return StandardCharsets.UTF_16BE;
        }
        return StandardCharsets.UTF_8;
    }

    /** Length of the byte-order mark at the start, 0 if none. */
    static int bomLength(byte[] head, int length) {
        if (length >= 3 && (head[0] & 0xFF) == 0xEF && (head[1] & 0xFF) == 0xBB && (head[2] & 0xFF) == 0xBF) {
            return 3;
        }
        if (length >= 2 && (((head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xFE)
                || ((head[0] & 0xFF) == 0xFE && (head[1] & 0xFF) == 0xFF))) {
            return 2;
        }
        return 0;
    }

    static String decodeHead(byte[] head, int length) {
        int bom = bomLength(head, length);
        return new String(head, bom, length - bom, sniff(head, length));
    }
}
