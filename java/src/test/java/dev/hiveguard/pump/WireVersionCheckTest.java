package dev.hiveguard.pump;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.wire.Wire;
import org.junit.jupiter.api.Test;

/** Which drivers the agent serves: its major, and a minor no older than its own. */
class WireVersionCheckTest {

    @Test
    void anOlderMinorIsRefusedAtStartWithTheReason() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DecisionPump.requireWireVersion(Wire.VERSION_MAJOR, Wire.VERSION_MINOR - 1));
        assertTrue(e.getMessage().contains("wire version " + Wire.VERSION_MAJOR + "." + (Wire.VERSION_MINOR - 1)),
                e.getMessage());
        assertTrue(e.getMessage().contains("at least this minor"), e.getMessage());
    }

    @Test
    void anotherMajorIsRefused() {
        assertThrows(IllegalStateException.class,
                () -> DecisionPump.requireWireVersion(Wire.VERSION_MAJOR + 1, Wire.VERSION_MINOR));
    }

    @Test
    void theSameOrANewerMinorIsServed() {
        assertDoesNotThrow(() -> DecisionPump.requireWireVersion(Wire.VERSION_MAJOR, Wire.VERSION_MINOR));
        assertDoesNotThrow(() -> DecisionPump.requireWireVersion(Wire.VERSION_MAJOR, Wire.VERSION_MINOR + 1));
    }
}
