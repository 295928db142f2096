package dev.hiveguard.replay;

import dev.hiveguard.model.ValueRendering;

/**
 * Sysmon's {@code Details} field back to a value type and its bytes, through the same
 * {@link ValueRendering} the policy renders live values with, so a recorded value and a live
 * one with the same rendering are the same value to every rule. What the rendering hides is
 * kept as a fact: {@code Binary Data} has no bytes in the event, so rules on its data cannot
 * be judged from a recording.
 */
final class SysmonDetails {

    private SysmonDetails() {
    }

    /** Never fails: anything that is not a typed rendering is string data. */
    static RegValue parse(String details) {
        if (details == null) {
            return RegValue.NONE;
        }
        ValueRendering.Value v = ValueRendering.fromDetails(details);
        boolean known = !details.equals(ValueRendering.BINARY_DATA);
        return new RegValue(v.type(), v.data(), known, v.data().length);
    }
}
