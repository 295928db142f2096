package dev.hiveguard.audit;

import dev.hiveguard.model.ValueRendering;
import dev.hiveguard.model.RegistryValueType;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegistryValueFormatTest {

    @Test
    void stringWithoutTerminatorOrWithOddLengthStillRenders() {
        byte[] noNul = "abc".getBytes(StandardCharsets.UTF_16LE);
        assertEquals(List.of("abc"), RegistryValueFormat.strings(RegistryValueType.REG_SZ, noNul));
        byte[] odd = Arrays.copyOf(noNul, noNul.length + 1);
        assertEquals(List.of("abc"), RegistryValueFormat.strings(RegistryValueType.REG_EXPAND_SZ, odd));
        assertEquals(List.of(""), RegistryValueFormat.strings(RegistryValueType.REG_SZ, new byte[0]));
    }

    @Test
    void multiStringCutAtTheDataCapKeepsTheWholePartsAndThePartialLast() {
        byte[] full = ValueRendering.multiSz(List.of("one", "two"));
        assertEquals(List.of("one", "two"), RegistryValueFormat.strings(RegistryValueType.REG_MULTI_SZ, full));
        byte[] cut = Arrays.copyOf(full, 8 + 4); // "one\0" + "tw"
        assertEquals(List.of("one", "tw"), RegistryValueFormat.strings(RegistryValueType.REG_MULTI_SZ, cut));
    }

    @Test
    void numbersAreUnsignedDecimalAndShortDataHasNoRendering() {
        assertEquals(List.of("4294967295"),
                RegistryValueFormat.strings(RegistryValueType.REG_DWORD, ValueRendering.dword(-1)));
        assertEquals(List.of("18446744073709551615"),
                RegistryValueFormat.strings(RegistryValueType.REG_QWORD, ValueRendering.qword(-1L)));
        assertEquals(List.of("1"), RegistryValueFormat.strings(RegistryValueType.REG_DWORD_BIG_ENDIAN,
                new byte[] {0, 0, 0, 1}));
        assertEquals(List.of(), RegistryValueFormat.strings(RegistryValueType.REG_DWORD, new byte[] {1, 2}));
        assertEquals(List.of(), RegistryValueFormat.strings(RegistryValueType.REG_BINARY, new byte[] {1, 2}));
    }

    @Test
    void typeNamesRoundTripAndUnknownCodesAreRendered() {
        for (int code = 0; code <= RegistryValueType.REG_QWORD; code++) {
            assertEquals(code, RegistryValueType.code(RegistryValueType.name(code)));
        }
        assertEquals("REG_UNKNOWN_0x1234", RegistryValueType.name(0x1234));
    }
}
