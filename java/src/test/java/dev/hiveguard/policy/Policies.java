package dev.hiveguard.policy;

import dev.hiveguard.model.RegistryValueType;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.ValueRendering;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** Test helpers: policies from inline XML, events from Sysmon-style paths. */
final class Policies {

    private Policies() {
    }

    /** A policy whose EventFiltering body is {@code filtering}, with optional settings. */
    static CompiledPolicy of(String settings, String filtering) throws PolicyException {
        return CompiledPolicy.compile(parse(settings, filtering));
    }

    static CompiledPolicy of(String filtering) throws PolicyException {
        return of("", filtering);
    }

    static PolicyDocument parse(String settings, String filtering) throws PolicyException {
        String xml = "<Sysmon schemaversion=\"4.90\">" + settings + "<EventFiltering>" + filtering + "</EventFiltering></Sysmon>";
        return PolicyParser.parse("test.xml", xml.getBytes(StandardCharsets.UTF_8));
    }

    static PolicyDocument parseRaw(String xml) throws PolicyException {
        return PolicyParser.parse("test.xml", xml.getBytes(StandardCharsets.UTF_8));
    }

    /** A value write at Sysmon-form {@code target} (key\value) by {@code image}. */
    static RegistryEvent setValue(String target, String image, int type, byte[] data) {
        int cut = target.lastIndexOf('\\');
        return event(Operation.SET_VALUE, target.substring(0, cut), target.substring(cut + 1), "", image, "", 4242, type, data);
    }

    static RegistryEvent setString(String target, String image, String text) {
        return setValue(target, image, RegistryValueType.REG_SZ, ValueRendering.sz(text));
    }

    static RegistryEvent keyOp(Operation op, String key, String image) {
        return event(op, key, "", "", image, "", 4242, 0, new byte[0]);
    }

    static RegistryEvent event(Operation op, String sysmonKey, String valueName, String newName, String image, String user,
                               long pid, int type, byte[] data) {
        return new RegistryEvent(0, 1, Instant.EPOCH, op, 0, pid, 1, 1, 0, RegistryPaths.toKernel(sysmonKey), valueName,
                newName, image, user, type, data, data.length);
    }
}
