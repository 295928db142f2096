package dev.hiveguard.policy.sigma;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The SigmaHQ snapshot in ../shared/sigma (DRL 1.1), read in place: the registry rule trees
 * and the regression cases (info.yml naming a rule and its expected match count, and the
 * recorded events as evtx-dump-style JSON).
 */
final class SigmaTestData {

    static final String SIGMA_PROPERTY = "hiveguard.sigma.dir";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SigmaTestData() {
    }

    static Path directory() {
        String dir = System.getProperty(SIGMA_PROPERTY);
        Path p = Path.of(dir != null && !dir.isBlank() ? dir : "../shared/sigma");
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("Sigma snapshot not found at " + p.toAbsolutePath() + " (set -D"
                    + SIGMA_PROPERTY + ")");
        }
        return p;
    }

    /** rules, rules-threat-hunting, rules-emerging-threats: each one's windows/registry tree (or whole, for ET). */
    static List<Path> ruleTrees() {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(directory())) {
            for (Path top : s.filter(p -> p.getFileName().toString().startsWith("rules")).sorted().toList()) {
                Path reg = top.resolve("windows").resolve("registry");
                out.add(Files.isDirectory(reg) ? reg : top);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static List<Path> ruleFiles() {
        List<Path> out = new ArrayList<>();
        for (Path tree : ruleTrees()) {
            try (Stream<Path> s = Files.walk(tree)) {
                s.filter(p -> p.toString().endsWith(".yml")).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** One regression case: the rule it is for, how often it must match, and its events. */
    record RegressionCase(String ruleId, String title, int matchCount, Path json, Path evtx) {
        @Override
        public String toString() {
            return title + " (" + ruleId + ")";
        }
    }

    static List<RegressionCase> regressionCases() {
        Path root = directory().resolve("regression_data");
        List<RegressionCase> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path info : s.filter(p -> p.getFileName().toString().equals("info.yml")).sorted().toList()) {
                out.add(regressionCase(info));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static RegressionCase regressionCase(Path info) throws IOException {
        java.util.Map<String, Object> y = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(info));
        java.util.Map<String, Object> meta = ((List<java.util.Map<String, Object>>) y.get("rule_metadata")).get(0);
        java.util.Map<String, Object> test = ((List<java.util.Map<String, Object>>) y.get("regression_tests_info")).get(0);
        Path evtx = directory().resolve((String) test.get("path"));
        String base = evtx.getFileName().toString().replaceFirst("\\.evtx$", "");
        return new RegressionCase(String.valueOf(meta.get("id")), String.valueOf(meta.get("title")),
                ((Number) test.get("match_count")).intValue(), evtx.resolveSibling(base + ".json"), evtx);
    }

    /** The events of a case's .json: one or more evtx-dump objects ({"Event": {"System", "EventData"}}) in a row. */
    static List<JsonNode> events(Path json) {
        List<JsonNode> out = new ArrayList<>();
        try (JsonParser p = JSON.getFactory().createParser(json.toFile());
             MappingIterator<JsonNode> it = JSON.readValues(p, JsonNode.class)) {
            while (it.hasNext()) {
                out.add(it.next());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * The flat Sysmon shape (EventID next to the EventData fields) that the JSON-lines readers
     * and the dataset helpers take.
     */
    static JsonNode flat(JsonNode event) {
        com.fasterxml.jackson.databind.node.ObjectNode o = JSON.createObjectNode();
        o.set("EventID", event.path("Event").path("System").path("EventID"));
        event.path("Event").path("EventData").fields().forEachRemaining(e -> o.set(e.getKey(), e.getValue()));
        return o;
    }

    static String toJsonLine(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
