package dev.hiveguard.audit;

import dev.hiveguard.model.RegistryValueType;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Verdict;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Decision;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * Writes one audited registry operation as one JSON object with Elastic Common Schema
 * field names.
 *
 * <p>Names are written flat and dotted ({@code "event.kind": ...}), as Elastic's own
 * ecs-logging libraries do: Elasticsearch and Filebeat expand dotted names into the
 * nested ECS objects, and a line stays greppable for a single field.
 *
 * <p>Categorisation: {@code event.category} is {@code ["registry"]}, the category ECS
 * added in 1.8 for Windows registry events (elastic/ecs#1040, prompted by Sysmon's
 * RegistryEvent), rather than {@code configuration}, which ECS reserves for changes to
 * an application's or system's settings as such and which would not cover opens or
 * saves. The registry category's expected {@code event.type} values are access,
 * change, creation and deletion, so every operation class maps to one of those. Whether
 * the operation was denied is {@code event.outcome} (failure when the caller got
 * STATUS_ACCESS_DENIED); policy hits are {@code event.kind: alert}. Every line names its
 * machine with {@code host.*} ({@link HostFields}).
 */
public final class EcsEventEncoder {

    /** The ECS release whose field set this encoder follows. */
    public static final String ECS_VERSION = "8.11.0";
    public static final String DATASET = "hiveguard.audit";

    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ISO_INSTANT;

    private EcsEventEncoder() {
    }

    /** The ECS {@code event.type} of an operation class (one of the registry category's expected types). */
    public static String eventType(Operation operation) {
        switch (operation) {
            case CREATE_KEY:
                return "creation";
            case DELETE_KEY:
            case DELETE_VALUE:
                return "deletion";
            case OPEN_KEY:
            case SAVE_KEY: // reads the key into a file: nothing in the registry changes
            case FLUSH_KEY: // writes cached key data to the hive file; contents unchanged
                return "access";
            default:
                // SetValue, RenameKey, SetKeySecurity, SetInformation, Load/Unload,
                // Restore/Replace: all change what the registry holds.
                return "change";
        }
    }

    /** {@code event.kind}: alert when a rule blocked, would have blocked, or asked for an audit. */
    public static String eventKind(Decision decision) {
        return decision.action() != Action.ALLOW || decision.wouldBlock() ? "alert" : "event";
    }

    /**
     * {@code event.outcome} of the registry operation itself. With no verdict sent the
     * caller was not held and the operation went ahead - unless the driver applied its
     * default verdict because nothing was parked, which this event alone cannot tell.
     */
    public static String eventOutcome(RegistryEvent event, Verdict applied) {
        if (applied == Verdict.BLOCK) {
            return "failure";
        }
        if (applied == null && event.defaultApplied()) {
            return "unknown";
        }
        return "success";
    }

    /** Writes the whole object, start to end. */
    public static void write(JsonGenerator g, RegistryEvent event, Decision decision, Verdict applied,
                             long latencyNanos, Instant recordedAt) throws IOException {
        g.writeStartObject();
        g.writeStringField("@timestamp", TIMESTAMP.format(event.timestamp()));
        g.writeStringField("ecs.version", ECS_VERSION);

        g.writeStringField("event.kind", eventKind(decision));
        g.writeArrayFieldStart("event.category");
        g.writeString("registry");
        g.writeEndArray();
        g.writeArrayFieldStart("event.type");
        g.writeString(eventType(event.operation()));
        g.writeEndArray();
        g.writeStringField("event.action", event.operation().eventType());
        g.writeStringField("event.outcome", eventOutcome(event, applied));
        g.writeStringField("event.created", TIMESTAMP.format(recordedAt));
        g.writeStringField("event.dataset", DATASET);
        g.writeNumberField("event.sequence", event.sequence());

        RegistryLocation where = RegistryLocation.of(event.keyPath(), event.valueName());
        g.writeStringField("registry.hive", where.hive());
        g.writeStringField("registry.key", where.key());
        if (!where.value().isEmpty()) {
            g.writeStringField("registry.value", where.value());
        }
        g.writeStringField("registry.path", where.path());
        writeData(g, event);

        g.writeNumberField("process.pid", event.pid());
        g.writeNumberField("process.thread.id", event.tid());
        if (!event.image().isEmpty()) {
            g.writeStringField("process.executable", event.image());
        }
        if (!event.userSid().isEmpty()) {
            g.writeStringField("user.id", event.userSid());
        }
        if (decision.ruleName() != null) {
            g.writeStringField("rule.name", decision.ruleName());
        }
        HostFields.local().write(g);

        g.writeStringField("hiveguard.action", decision.action().name().toLowerCase(Locale.ROOT));
        g.writeStringField("hiveguard.verdict",
                applied == null ? "none" : applied.name().toLowerCase(Locale.ROOT));
        if (decision.ruleName() != null) {
            g.writeStringField("hiveguard.rule", decision.ruleName());
        } else {
            g.writeNullField("hiveguard.rule");
        }
        g.writeNumberField("hiveguard.latency_us", latencyNanos / 1_000L);
        g.writeBooleanField("hiveguard.would_block", decision.wouldBlock());
        g.writeBooleanField("hiveguard.truncated", event.dataTruncated() || event.nameTruncated());
        g.writeNumberField("hiveguard.sequence", event.sequence());
        g.writeBooleanField("hiveguard.default_applied", event.defaultApplied());
        g.writeBooleanField("hiveguard.kernel_caller", event.kernelCaller());
        g.writeNumberField("hiveguard.session_id", Integer.toUnsignedLong(event.sessionId()));
        if (event.id() != 0) {
            g.writeNumberField("hiveguard.event_id", event.id());
        }
        if (event.operation() == Operation.RENAME_KEY || !event.newName().isEmpty()) {
            g.writeStringField("hiveguard.new_name", event.newName());
        }
        g.writeEndObject();
    }

    private static void writeData(JsonGenerator g, RegistryEvent event) throws IOException {
        boolean hasValueData = event.operation() == Operation.SET_VALUE || event.data().length > 0;
        if (!hasValueData) {
            return;
        }
        g.writeStringField("registry.data.type", RegistryValueType.name(event.valueType()));
        List<String> strings = RegistryValueFormat.strings(event.valueType(), event.data());
        if (!strings.isEmpty()) {
            g.writeArrayFieldStart("registry.data.strings");
            for (String s : strings) {
                g.writeString(s);
            }
            g.writeEndArray();
        }
        if (event.data().length > 0) {
            // Always the raw bytes too: the only lossless form, and what a responder
            // needs to restore a tampered value.
            g.writeFieldName("registry.data.bytes");
            g.writeBinary(event.data());
        }
        g.writeNumberField("hiveguard.data.original_size", Integer.toUnsignedLong(event.dataOriginalSize()));
        if ((event.flags() & RegistryEvent.F_DATA_UNREADABLE) != 0) {
            g.writeBooleanField("hiveguard.data.unreadable", true);
        }
    }
}
