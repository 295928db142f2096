package dev.hiveguard.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.hiveguard.policy.DatasetEvents;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValueRenderingTest {

    @Test
    void dwordIsEightLowerCaseHexDigits() {
        assertEquals("DWORD (0x0000000a)", ValueRendering.details(RegistryValueType.REG_DWORD, ValueRendering.dword(10)));
        assertEquals("DWORD (0xffffffff)", ValueRendering.details(RegistryValueType.REG_DWORD, ValueRendering.dword(-1)));
    }

    @Test
    void qwordIsHighHalfThenLowHalf() {
        assertEquals("QWORD (0x00000001-0x00000002)",
                ValueRendering.details(RegistryValueType.REG_QWORD, ValueRendering.qword(0x0000000100000002L)));
        assertEquals("QWORD (0x01d6a68b-0x48722ab7)",
                ValueRendering.details(RegistryValueType.REG_QWORD, ValueRendering.qword(0x01d6a68b48722ab7L)));
    }

    @Test
    void stringsAreTheirTextAndEmptyIsSaidSo() {
        assertEquals("C:\\x.exe", ValueRendering.details(RegistryValueType.REG_SZ, ValueRendering.sz("C:\\x.exe")));
        assertEquals("%SystemRoot%\\x", ValueRendering.details(RegistryValueType.REG_EXPAND_SZ, ValueRendering.sz("%SystemRoot%\\x")));
        assertEquals("(Empty)", ValueRendering.details(RegistryValueType.REG_SZ, ValueRendering.sz("")));
        assertEquals("(Empty)", ValueRendering.details(RegistryValueType.REG_SZ, new byte[0]));
        assertEquals("a b", ValueRendering.details(RegistryValueType.REG_MULTI_SZ, ValueRendering.multiSz(List.of("a", "b"))));
    }

    @Test
    void everythingElseIsBinaryData() {
        assertEquals("Binary Data", ValueRendering.details(RegistryValueType.REG_BINARY, new byte[] {1, 2}));
        assertEquals("Binary Data", ValueRendering.details(RegistryValueType.REG_NONE, new byte[0]));
        assertEquals("Binary Data", ValueRendering.details(RegistryValueType.REG_DWORD, new byte[] {1, 2}), "truncated DWORD");
        assertEquals("Binary Data", ValueRendering.details(RegistryValueType.REG_DWORD_BIG_ENDIAN, new byte[4]));
    }

    @Test
    void aTruncatedStringCaptureRendersWhatWasCaptured() {
        byte[] full = ValueRendering.sz("abcdef");
        byte[] cut = java.util.Arrays.copyOf(full, 7); // odd length: the driver's data cap fell mid-character
        assertEquals("abc", ValueRendering.details(RegistryValueType.REG_SZ, cut));
    }

    @Test
    void fromDetailsRecoversNumbers() {
        ValueRendering.Value v = ValueRendering.fromDetails("DWORD (0x00000004)");
        assertEquals(RegistryValueType.REG_DWORD, v.type());
        assertArrayEquals(ValueRendering.dword(4), v.data());
        v = ValueRendering.fromDetails("QWORD (0x00000009-0xf972634c)");
        assertEquals(RegistryValueType.REG_QWORD, v.type());
        assertArrayEquals(ValueRendering.qword(0x00000009f972634cL), v.data());
        assertEquals(RegistryValueType.REG_SZ, ValueRendering.fromDetails("DWORD (0x1)").type(), "malformed number is text");
    }

    @Test
    void everyRecordedDetailsRendersBackExactly() {
        int checked = 0;
        for (Path f : DatasetEvents.files()) {
            for (DatasetEvents.Recorded r : DatasetEvents.read(f)) {
                if (!r.json().has("Details")) {
                    continue;
                }
                String details = r.json().path("Details").asText();
                ValueRendering.Value v = ValueRendering.fromDetails(details);
                assertEquals(details, ValueRendering.details(v.type(), v.data()), r.file() + ":" + r.line());
                checked++;
            }
        }
        assertEquals(5608, checked);
    }
}
