package dev.hiveguard.policy.sigma;

import dev.hiveguard.model.FailMode;
import dev.hiveguard.policy.Action;
import dev.hiveguard.policy.Condition;
import dev.hiveguard.policy.Field;
import dev.hiveguard.policy.PolicyDocument;
import dev.hiveguard.policy.PolicyError;
import dev.hiveguard.policy.PolicyException;
import dev.hiveguard.policy.PolicyMode;
import dev.hiveguard.policy.PolicyRule;
import dev.hiveguard.policy.PolicySettings;
import dev.hiveguard.policy.RuleCondition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Sigma registry rules as a HiveGuard policy. A policy path is a Sigma rule file, a
 * directory (every {@code .yml}/{@code .yaml} below it), or a settings file - a YAML file
 * with {@code hiveguard: sigma-policy} - that names rule files and directories and says
 * what the rules do (see {@link SigmaSettings} and {@code policies/README.md}).
 *
 * <p>Each usable rule becomes one include rule of the ordinary compiled policy: an EventType
 * condition for its logsource category and its detection as a {@link
 * dev.hiveguard.policy.RuleExpression}. Every rule that is not used - another logsource, an
 * unsupported modifier or field, a keyword search, an aggregation, turned off by the
 * settings, broken YAML - is listed with file, line and reason in the document's notes.
 */
public final class SigmaPolicyLoader {

    /** The key and value that make a YAML file a settings file rather than a rule. */
    public static final String SETTINGS_KEY = "hiveguard";
    public static final String SETTINGS_KIND = "sigma-policy";
    /** Rule files one policy may read; SigmaHQ's whole Windows tree is about 2,500. */
    public static final int MAX_FILES = 20_000;
    /** All rule files together. */
    public static final long MAX_TOTAL_BYTES = 64L * 1024 * 1024;

    /**
     * @param document    the policy, ready for {@code CompiledPolicy.compile}
     * @param rules       the rules loaded, in policy order
     * @param unsupported everything read and not enforced, with reasons
     * @param files       rule files read
     */
    public record Loaded(PolicyDocument document, List<SigmaRule> rules, List<UnsupportedRule> unsupported, int files) {
        public Loaded {
            rules = List.copyOf(rules);
            unsupported = List.copyOf(unsupported);
        }
    }

    private SigmaPolicyLoader() {
    }

    /** How much of a file without a telling name is read to tell Sigma from XML. */
    private static final int SNIFF_BYTES = 4096;

    /** Whether a policy path is Sigma: a directory, or a file {@link #isSigma(String, byte[], int)} says is. */
    public static boolean isSigma(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return true;
        }
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        Boolean byName = sigmaByName(name);
        if (byName != null) {
            return byName;
        }
        byte[] head = new byte[SNIFF_BYTES];
        int len;
        try (var in = Files.newInputStream(path)) {
            len = in.readNBytes(head, 0, head.length);
        }
        return isSigma(name, head, len);
    }

    /**
     * Whether a policy file is Sigma: by its name (.yml/.yaml yes, .xml no), else by the first
     * {@value #SNIFF_BYTES} of its {@code length} bytes of {@code content}.
     */
    public static boolean isSigma(String fileName, byte[] content, int length) {
        Boolean byName = sigmaByName(fileName);
        return byName != null ? byName
                : looksLikeSigma(new String(content, 0, Math.min(length, SNIFF_BYTES), StandardCharsets.UTF_8));
    }

    /** True for .yml/.yaml, false for .xml, null when the name does not tell. */
    private static Boolean sigmaByName(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        if (n.endsWith(".yml") || n.endsWith(".yaml")) {
            return Boolean.TRUE;
        }
        return n.endsWith(".xml") ? Boolean.FALSE : null;
    }

    /** Content sniffing for names without a telling extension: XML starts with '<'. */
    private static boolean looksLikeSigma(String head) {
        for (String line : head.split("\n", -1)) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#") || t.equals("---") || t.startsWith("\uFEFF")) {
                continue;
            }
            return !t.startsWith("<") && t.contains(":");
        }
        return false;
    }

    /** A rule file, a directory of rules, or a settings file. */
    public static Loaded load(Path path) throws PolicyException, IOException {
        String name = displayName(path);
        if (!Files.isDirectory(path)) {
            byte[] bytes = readCapped(path, name);
            return parse(name, bytes, path.toAbsolutePath().getParent(), path.toString());
        }
        return load(name, SigmaSettings.defaults(), List.of(path));
    }

    /**
     * The bytes of one policy file already read (as the reloader does): a settings file (its
     * rule paths resolved against {@code baseDir}) or a single rule file.
     */
    public static Loaded parse(String name, byte[] bytes, Path baseDir, String shownAs) throws PolicyException,
            IOException {
        String text = decode(bytes, name);
        List<Node> docs;
        try {
            docs = SafeYaml.documents(text);
        } catch (SafeYaml.YamlProblem p) {
            throw new PolicyException(List.of(new PolicyError(name, p.line, 1, p.getMessage())));
        }
        if (docs.size() == 1 && isSettings(docs.get(0))) {
            SigmaSettings settings = SettingsParser.parse(name, (MappingNode) docs.get(0),
                    baseDir == null ? Path.of("") : baseDir);
            return load(name, settings, settings.sources());
        }
        Collector c = new Collector(SigmaSettings.defaults());
        c.files = 1;
        c.add(shownAs, docs);
        return c.finish(name);
    }

    /** Rules from several files and directories under one set of settings. */
    public static Loaded load(String name, SigmaSettings settings, List<Path> sources) throws PolicyException,
            IOException {
        List<Path> files = new ArrayList<>();
        for (Path src : sources) {
            if (Files.isDirectory(src)) {
                try (Stream<Path> s = Files.walk(src)) {
                    s.filter(Files::isRegularFile).filter(SigmaPolicyLoader::yamlName).sorted().forEach(files::add);
                }
            } else if (Files.isRegularFile(src)) {
                files.add(src);
            } else {
                throw new PolicyException(List.of(new PolicyError(name, 1, 1, "rule source " + src
                        + " is neither a file nor a directory")));
            }
            if (files.size() > MAX_FILES) {
                throw new PolicyException(List.of(new PolicyError(name, 1, 1, "more than " + MAX_FILES
                        + " rule files under " + src)));
            }
        }
        if (files.isEmpty()) {
            throw new PolicyException(List.of(new PolicyError(name, 1, 1, "no Sigma rule file (.yml, .yaml) in "
                    + sources)));
        }
        Collector c = new Collector(settings);
        long total = 0;
        for (Path f : files) {
            long size = Files.size(f);
            total += size;
            if (total > MAX_TOTAL_BYTES) {
                throw new PolicyException(List.of(new PolicyError(name, 1, 1, "rule files add up to more than "
                        + MAX_TOTAL_BYTES + " bytes")));
            }
            c.files++;
            String shown = f.toString();
            if (size > SafeYaml.MAX_CHARS) {
                c.unsupported.add(new UnsupportedRule(shown, 1, "", "", "file is " + size + " bytes, more than the "
                        + SafeYaml.MAX_CHARS + " a rule file may have"));
                continue;
            }
            String text;
            try {
                text = decode(Files.readAllBytes(f), shown);
            } catch (PolicyException e) {
                c.unsupported.add(new UnsupportedRule(shown, 1, "", "", e.errors().get(0).reason()));
                continue;
            }
            try {
                c.add(shown, SafeYaml.documents(text));
            } catch (SafeYaml.YamlProblem p) {
                c.unsupported.add(new UnsupportedRule(shown, p.line, "", "", p.getMessage()));
            }
        }
        return c.finish(name);
    }

    /** Gathers rules in file order, refusing duplicates and applying the settings. */
    private static final class Collector {
        final SigmaSettings settings;
        final List<SigmaRule> rules = new ArrayList<>();
        final List<Action> actions = new ArrayList<>();
        final List<UnsupportedRule> unsupported = new ArrayList<>();
        final Map<String, SigmaRule> byId = new HashMap<>();
        int files;

        Collector(SigmaSettings settings) {
            this.settings = settings;
        }

        void add(String file, List<Node> docs) {
            if (docs.isEmpty()) {
                unsupported.add(new UnsupportedRule(file, 1, "", "", "empty file"));
            }
            for (Node d : docs) {
                Object r = SigmaRuleTranslator.translate(file, d);
                if (r instanceof UnsupportedRule u) {
                    unsupported.add(u);
                    continue;
                }
                SigmaRule rule = (SigmaRule) r;
                SigmaRule first = rule.id().isEmpty() ? null : byId.putIfAbsent(rule.id().toLowerCase(Locale.ROOT), rule);
                if (first != null) {
                    unsupported.add(new UnsupportedRule(file, rule.line(), rule.id(), rule.title(),
                            "duplicate id: already loaded from " + first.file() + ":" + first.line()));
                    continue;
                }
                Action a = settings.action(rule);
                if (a == SigmaSettings.OFF) {
                    unsupported.add(new UnsupportedRule(file, rule.line(), rule.id(), rule.title(),
                            settings.offReason(rule)));
                    continue;
                }
                rules.add(rule);
                actions.add(a);
            }
        }

        Loaded finish(String name) {
            List<PolicyRule> policyRules = new ArrayList<>();
            for (int i = 0; i < rules.size(); i++) {
                SigmaRule r = rules.get(i);
                RuleCondition scope = new RuleCondition(Field.EVENT_TYPE, Condition.IS_ANY,
                        String.join(Condition.LIST_SEPARATOR, r.eventTypes()), r.eventTypes(), r.line(), 1);
                policyRules.add(new PolicyRule(i, ruleName(r), true, actions.get(i), 0, FailMode.INHERIT,
                        List.of(scope), r.line(), r.expression()));
            }
            List<String> notes = new ArrayList<>();
            for (UnsupportedRule u : unsupported) {
                notes.add(u.toString());
            }
            notes.add("Sigma: " + rules.size() + " rule(s) loaded from " + files + " file(s), " + unsupported.size()
                    + " not loaded (listed above); the rules are their authors' work (credited in each file), "
                    + "most from SigmaHQ, under the Detection Rule License 1.1");
            PolicyDocument doc = new PolicyDocument(name, settings.policy(), policyRules, notes);
            return new Loaded(doc, rules, unsupported, files);
        }
    }

    /** How a Sigma rule is named in decisions and the audit trail: title and id. */
    public static String ruleName(SigmaRule r) {
        return r.id().isEmpty() ? r.title() : r.title() + " (" + r.id() + ")";
    }

    private static boolean isSettings(Node doc) {
        if (!(doc instanceof MappingNode m)) {
            return false;
        }
        for (NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(SETTINGS_KEY)) {
                return true;
            }
        }
        return false;
    }

    private static boolean yamlName(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".yml") || n.endsWith(".yaml");
    }

    private static byte[] readCapped(Path file, String name) throws PolicyException, IOException {
        long size = Files.size(file);
        if (size > SafeYaml.MAX_CHARS) {
            throw new PolicyException(List.of(new PolicyError(name, 1, 1, "file is " + size
                    + " bytes, more than the " + SafeYaml.MAX_CHARS + " a Sigma rule or settings file may have")));
        }
        return Files.readAllBytes(file);
    }

    private static String decode(byte[] bytes, String name) throws PolicyException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new PolicyException(List.of(new PolicyError(name, 1, 1, "not UTF-8 text")));
        }
    }

    static String displayName(Path file) {
        return file.getFileName() == null ? file.toString() : file.getFileName().toString();
    }

    /** The settings file: {@code hiveguard: sigma-policy} plus the keys documented in the policies README. */
    static final class SettingsParser {
        private final String name;
        private final List<PolicyError> errors = new ArrayList<>();

        private SettingsParser(String name) {
            this.name = name;
        }

        static SigmaSettings parse(String name, MappingNode root, Path baseDir) throws PolicyException {
            SettingsParser p = new SettingsParser(name);
            SigmaSettings s = p.settings(root, baseDir);
            if (!p.errors.isEmpty()) {
                throw new PolicyException(p.errors);
            }
            return s;
        }

        private void error(Node at, String reason) {
            errors.add(new PolicyError(name, SafeYaml.line(at), at.getStartMark() == null ? 1
                    : at.getStartMark().getColumn() + 1, reason));
        }

        private SigmaSettings settings(MappingNode root, Path baseDir) {
            SigmaSettings d = SigmaSettings.defaults();
            PolicySettings ps = d.policy();
            PolicyMode mode = ps.mode();
            Action defaultAction = ps.defaultAction();
            int timeout = ps.timeoutMs();
            FailMode fail = ps.failMode();
            boolean kernel = ps.includeKernelCallers();
            Map<String, Action> levels = new LinkedHashMap<>(d.levels());
            Map<String, Action> tags = new LinkedHashMap<>();
            Map<String, Action> overrides = new LinkedHashMap<>();
            List<Path> sources = new ArrayList<>();
            for (NodeTuple t : root.getValue()) {
                String key = t.getKeyNode() instanceof ScalarNode k ? k.getValue() : "";
                Node v = t.getValueNode();
                switch (key) {
                    case SETTINGS_KEY:
                        if (!SETTINGS_KIND.equals(scalar(v))) {
                            error(v, "expected '" + SETTINGS_KEY + ": " + SETTINGS_KIND + "'");
                        }
                        break;
                    case "rules":
                        if (v instanceof SequenceNode seq && !seq.getValue().isEmpty()) {
                            for (Node item : seq.getValue()) {
                                String s = scalar(item);
                                if (s == null || s.isBlank()) {
                                    error(item, "a rules entry must be a path");
                                } else {
                                    sources.add(baseDir.resolve(s).normalize());
                                }
                            }
                        } else {
                            error(v, "rules must be a list of rule files and directories");
                        }
                        break;
                    case "mode":
                        mode = PolicyMode.fromXml(String.valueOf(scalar(v)));
                        if (mode == null) {
                            error(v, "mode must be enforce or audit-only");
                            mode = ps.mode();
                        }
                        break;
                    case "default-action": {
                        Action a = action(v, false);
                        defaultAction = a == null ? defaultAction : a;
                        break;
                    }
                    case "timeout-ms":
                        try {
                            timeout = Integer.parseInt(String.valueOf(scalar(v)));
                        } catch (NumberFormatException e) {
                            timeout = -1;
                        }
                        if (timeout < PolicySettings.TIMEOUT_MIN_MS || timeout > PolicySettings.TIMEOUT_MAX_MS) {
                            error(v, "timeout-ms must be " + PolicySettings.TIMEOUT_MIN_MS + ".."
                                    + PolicySettings.TIMEOUT_MAX_MS);
                            timeout = ps.timeoutMs();
                        }
                        break;
                    case "fail-mode": {
                        String f = String.valueOf(scalar(v)).toLowerCase(Locale.ROOT);
                        if (f.equals("open") || f.equals("closed")) {
                            fail = f.equals("open") ? FailMode.OPEN : FailMode.CLOSED;
                        } else {
                            error(v, "fail-mode must be open or closed");
                        }
                        break;
                    }
                    case "kernel-callers": {
                        String k = String.valueOf(scalar(v)).toLowerCase(Locale.ROOT);
                        if (k.equals("include") || k.equals("exclude")) {
                            kernel = k.equals("include");
                        } else {
                            error(v, "kernel-callers must be include or exclude");
                        }
                        break;
                    }
                    case "levels":
                        for (Map.Entry<String, Node> e : map(v, "levels").entrySet()) {
                            if (!SigmaSettings.LEVELS.contains(e.getKey())) {
                                error(e.getValue(), "unknown Sigma level '" + e.getKey() + "' (expected one of "
                                        + String.join(", ", SigmaSettings.LEVELS) + ")");
                                continue;
                            }
                            levels.put(e.getKey(), action(e.getValue(), true));
                        }
                        break;
                    case "tags":
                        for (Map.Entry<String, Node> e : map(v, "tags").entrySet()) {
                            tags.put(e.getKey().toLowerCase(Locale.ROOT), action(e.getValue(), true));
                        }
                        break;
                    case "overrides":
                        for (Map.Entry<String, Node> e : map(v, "overrides").entrySet()) {
                            overrides.put(e.getKey().toLowerCase(Locale.ROOT), action(e.getValue(), true));
                        }
                        break;
                    default:
                        error(t.getKeyNode(), "unknown setting '" + key + "' (expected " + SETTINGS_KEY
                                + ", rules, mode, default-action, timeout-ms, fail-mode, kernel-callers, levels, "
                                + "tags, overrides)");
                }
            }
            if (sources.isEmpty() && errors.isEmpty()) {
                error(root, "a settings file needs 'rules:' (rule files and directories, relative to it)");
            }
            PolicySettings policy = new PolicySettings(mode, defaultAction, timeout, fail, kernel);
            return new SigmaSettings(policy, levels, tags, overrides, sources);
        }

        /** block, audit (and off where a rule can be turned off; allow for the default action). */
        private Action action(Node v, boolean offAllowed) {
            String s = String.valueOf(scalar(v)).toLowerCase(Locale.ROOT);
            switch (s) {
                case "block":
                    return Action.BLOCK;
                case "audit":
                    return Action.AUDIT;
                case "allow":
                    if (!offAllowed) {
                        return Action.ALLOW;
                    }
                    break;
                case "off":
                    if (offAllowed) {
                        return SigmaSettings.OFF;
                    }
                    break;
                default:
                    break;
            }
            error(v, "bad action '" + s + "' (expected " + (offAllowed ? "block, audit or off" : "allow, audit or block")
                    + ")");
            return offAllowed ? Action.AUDIT : null;
        }

        private Map<String, Node> map(Node v, String what) {
            Map<String, Node> out = new LinkedHashMap<>();
            if (!(v instanceof MappingNode m)) {
                error(v, what + " must be a mapping");
                return out;
            }
            for (NodeTuple t : m.getValue()) {
                String k = scalar(t.getKeyNode());
                if (k == null) {
                    error(t.getKeyNode(), what + " keys must be plain text");
                } else {
                    out.put(k, t.getValueNode());
                }
            }
            return out;
        }

        private static String scalar(Node n) {
            return n instanceof ScalarNode s ? s.getValue() : null;
        }
    }
}
