package dev.hiveguard.replay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Where the replay tests find their inputs. */
final class ReplayTestData {

    /** The user of the fixtures' HKU hive: ProcMon prints it as HKCU. */
    static final String FIXTURE_USER_SID = "S-1-5-21-3125456671-949036322-3048627137-1104";

    private ReplayTestData() {
    }

    /** pom.xml sets hiveguard.datasets.dir; run from the repo root without Maven, ../shared/datasets. */
    static Path datasetsDir() {
        String configured = System.getProperty("hiveguard.datasets.dir");
        Path dir = configured != null ? Path.of(configured) : Path.of("..", "shared", "datasets");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("datasets directory " + dir.toAbsolutePath()
                    + " not found (set -Dhiveguard.datasets.dir)");
        }
        return dir;
    }

    static List<Path> datasets() {
        try (Stream<Path> s = Files.list(datasetsDir())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jsonl.gz")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SigmaHQ's registry rules and regression data, next to the datasets (../shared/sigma). */
    static Path sigmaDir() {
        Path dir = datasetsDir().toAbsolutePath().getParent().resolve("sigma");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("Sigma snapshot " + dir + " not found next to the datasets");
        }
        return dir;
    }

    /** Every regression .evtx of the Sigma registry rules, sorted. */
    static List<Path> sigmaRegressionEvtx() {
        try (Stream<Path> s = Files.walk(sigmaDir().resolve("regression_data"))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".evtx")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The evtx-dump JSON twin of a regression .evtx. */
    static Path jsonTwin(Path evtx) {
        String name = evtx.getFileName().toString();
        return evtx.resolveSibling(name.substring(0, name.length() - ".evtx".length()) + ".json");
    }

    static Path dataset(String name) {
        return datasetsDir().resolve(name);
    }

    static Path fixture(String name) {
        URL url = ReplayTestData.class.getResource("/replay/" + name);
        if (url == null) {
            throw new IllegalStateException("test resource replay/" + name + " missing");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
