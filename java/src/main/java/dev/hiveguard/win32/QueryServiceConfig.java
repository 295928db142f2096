package dev.hiveguard.win32;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * winsvc.h QUERY_SERVICE_CONFIGW, which JNA Platform lacks: what
 * {@code QueryServiceConfigW} writes at the start of its buffer (the strings it points
 * to follow in the same buffer). Strings are raw pointers here, read with
 * {@link #wide}, so the layout needs no type mapper and can be checked on Linux.
 */
@FieldOrder({"dwServiceType", "dwStartType", "dwErrorControl", "lpBinaryPathName", "lpLoadOrderGroup", "dwTagId",
    "lpDependencies", "lpServiceStartName", "lpDisplayName"})
public class QueryServiceConfig extends Structure {

    public int dwServiceType;
    public int dwStartType;
    public int dwErrorControl;
    public Pointer lpBinaryPathName;
    public Pointer lpLoadOrderGroup;
    public int dwTagId;
    public Pointer lpDependencies;
    public Pointer lpServiceStartName;
    public Pointer lpDisplayName;

    public QueryServiceConfig() {
    }

    /** Reads the structure at the start of a QueryServiceConfigW buffer. */
    public QueryServiceConfig(Memory buffer) {
        super(buffer);
        read();
    }

    /**
     * A UTF-16LE string as Windows writes it, or "" for NULL. Read code unit by code
     * unit rather than with {@code getWideString}, which uses the platform's wchar_t
     * (4 bytes on Linux), so the same decoding is tested here and used on Windows.
     */
    public static String wide(Pointer p) {
        return p == null ? "" : utf16(p, 0);
    }

    private static String utf16(Pointer p, long offset) {
        StringBuilder b = new StringBuilder();
        for (long at = offset; ; at += 2) {
            char c = (char) (p.getShort(at) & 0xFFFF);
            if (c == 0) {
                return b.toString();
            }
            b.append(c);
        }
    }

    /** A double-null-terminated UTF-16 list (lpDependencies). */
    public static List<String> wideList(Pointer p) {
        List<String> out = new ArrayList<>();
        if (p == null) {
            return out;
        }
        long offset = 0;
        while (true) {
            String s = utf16(p, offset);
            if (s.isEmpty()) {
                return out;
            }
            out.add(s);
            offset += (s.length() + 1L) * 2L; // UTF-16 code units, Windows' wchar_t
        }
    }
}
