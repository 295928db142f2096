package dev.hiveguard.policy.sigma;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.nodes.Node;

/**
 * YAML for rule files written by strangers: parsed to SnakeYAML's node tree (which keeps
 * line numbers for error messages), never to Java objects by tag. Anchors and aliases are
 * refused outright - no Sigma rule needs them, and they are how a few hundred bytes expand
 * into gigabytes ("billion laughs"); nesting depth, size and event count are bounded too.
 */
final class SafeYaml {

    /** A Sigma rule is a few KiB; SigmaHQ's largest is under 40 KiB. */
    static final int MAX_CHARS = 1024 * 1024;
    /** Deeper than any rule or settings file (detection -> selection -> list -> value is 4). */
    static final int MAX_DEPTH = 32;
    /** Scalars, mapping and sequence starts and ends together. */
    static final int MAX_EVENTS = 200_000;

    /** A problem with the YAML itself, at a 1-based line. */
    static final class YamlProblem extends Exception {
        private static final long serialVersionUID = 1L;
        final int line;

        YamlProblem(int line, String message) {
            super(message);
            this.line = line;
        }
    }

    private SafeYaml() {
    }

    /** Every document of the text, as node trees. */
    static List<Node> documents(String text) throws YamlProblem {
        if (text.length() > MAX_CHARS) {
            throw new YamlProblem(1, "file has " + text.length() + " characters, more than the " + MAX_CHARS
                    + " a rule file may have");
        }
        Yaml yaml = new Yaml(new SafeConstructor(options()));
        try {
            int events = 0;
            for (Event e : yaml.parse(new StringReader(text))) {
                if (++events > MAX_EVENTS) {
                    throw new YamlProblem(line(e), "more than " + MAX_EVENTS + " YAML elements");
                }
                if (e instanceof AliasEvent) {
                    throw new YamlProblem(line(e), "YAML aliases (*name) are not accepted");
                }
                if (e instanceof NodeEvent n && n.getAnchor() != null) {
                    throw new YamlProblem(line(e), "YAML anchors (&name) are not accepted");
                }
            }
            List<Node> docs = new ArrayList<>();
            for (Node n : yaml.composeAll(new StringReader(text))) {
                docs.add(n);
            }
            return docs;
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 1;
            throw new YamlProblem(line, "not valid YAML: " + oneLine(e.getProblem() != null ? e.getProblem() : e.getMessage()));
        } catch (YAMLException e) {
            throw new YamlProblem(1, "not valid YAML: " + oneLine(e.getMessage()));
        }
    }

    private static LoaderOptions options() {
        LoaderOptions o = new LoaderOptions();
        o.setAllowDuplicateKeys(false);
        o.setAllowRecursiveKeys(false);
        o.setMaxAliasesForCollections(1);
        o.setNestingDepthLimit(MAX_DEPTH);
        o.setCodePointLimit(MAX_CHARS * 2);
        o.setProcessComments(false);
        return o;
    }

    static int line(Event e) {
        return e.getStartMark() == null ? 1 : e.getStartMark().getLine() + 1;
    }

    static int line(Node n) {
        return n.getStartMark() == null ? 1 : n.getStartMark().getLine() + 1;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
