package dev.hiveguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hiveguard.metrics.TextTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hiveguard status}: what the running agent last published (its pump metrics,
 * audit counters and the driver counters it read), and the driver's counters read
 * directly when no agent holds the device.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {
            "Show the running agent's metrics and the driver's counters.",
            "%nReads the status the running agent publishes in its state directory; exits "
                    + ExitCodes.CHECK_FAILED + " when no agent is running.",
        })
public final class StatusCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec
    CommandSpec spec;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "The agent's state directory (default: ${DEFAULT-VALUE}).")
    Path stateDir = StateDirectory.defaultPath();

    @Option(names = "--json", description = "Print one JSON object instead of tables.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        AgentStatusFile file = new AgentStatusFile(stateDir);
        Optional<AgentStatusFile.Snapshot> snapshot;
        try {
            snapshot = file.read(Instant.now());
        } catch (IOException e) {
            throw new CliException(ExitCodes.IO_ERROR, "cannot read " + file.path() + ": " + e.getMessage(), e);
        }
        DriverProbe.Result driver = DriverProbe.read();

        boolean live = snapshot.map(AgentStatusFile.Snapshot::live).orElse(false);
        if (json) {
            ObjectNode all = JSON.createObjectNode();
            all.put("agentRunning", live);
            snapshot.ifPresent(s -> {
                all.set("agent", s.status());
                if (!s.live()) {
                    all.put("agentNotRunningBecause", s.whyNotLive());
                }
            });
            if (driver.stats() != null) {
                all.set("driver", driver.stats());
            } else {
                all.put("driverUnavailableBecause", driver.whyUnavailable());
            }
            try {
                out.println(JSON.writeValueAsString(all));
            } catch (IOException e) {
                throw new CliException(ExitCodes.INTERNAL_ERROR, "cannot render status: " + e.getMessage(), e);
            }
        } else {
            printHuman(out, file, snapshot, driver);
        }
        out.flush();
        return live ? ExitCodes.OK : ExitCodes.CHECK_FAILED;
    }

    private static void printHuman(PrintWriter out, AgentStatusFile file, Optional<AgentStatusFile.Snapshot> snapshot,
                                   DriverProbe.Result driver) {
        if (snapshot.isEmpty()) {
            out.println("agent: not running (no status file at " + file.path() + ")");
        } else {
            AgentStatusFile.Snapshot s = snapshot.get();
            JsonNode st = s.status();
            out.println("agent: " + (s.live() ? "running" : "not running: " + s.whyNotLive())
                    + " (pid " + st.path("pid").asText("?") + ", started " + st.path("started").asText("?")
                    + ", updated " + st.path("updated").asText("?") + ")");
            out.println("policy: " + st.path("policy").asText("?") + " " + st.path("policyHash").asText(""));
            out.println("registry callback: " + st.path("registryCallback").asText("unknown (not reported)"));
            out.println("audit: " + st.path("auditFile").asText("?"));
            JsonNode d = st.path("driverInfo");
            if (d.isObject()) {
                out.println("driver: version " + d.path("version").asText("?") + " (wire "
                        + d.path("wireVersion").asText("?") + "), altitude "
                        + (d.path("altitude").asInt() == 0 ? "none" : d.path("altitude").asText()) + ", default verdict "
                        + d.path("defaultVerdict").asText("?") + ", registry callback "
                        + (d.path("callbackRegistered").asBoolean() ? "registered"
                        : d.path("simulator").asBoolean() ? "simulated (user-mode host)" : "NOT registered"));
            }
            for (String section : new String[] {"pump", "audit", "driver"}) {
                if (st.hasNonNull(section)) {
                    out.println();
                    out.println(section + (section.equals("driver") ? " (as the agent last read it)" : "") + ":");
                    out.print(flatTable(st.get(section)).render());
                }
            }
        }
        out.println();
        if (driver.stats() != null) {
            out.println("driver (read now):");
            out.print(flatTable(driver.stats()).render());
        } else {
            out.println("driver: not read directly: " + driver.whyUnavailable());
        }
    }

    /** Nested objects become dotted names, so any status record prints without knowing its shape. */
    static TextTable flatTable(JsonNode node) {
        TextTable t = new TextTable("name", "value>");
        flatten("", node, t);
        return t;
    }

    private static void flatten(String prefix, JsonNode node, TextTable t) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), t);
            }
        } else if (node.isArray()) {
            t.row(prefix, node.toString());
        } else {
            t.row(prefix, node.asText());
        }
    }
}
