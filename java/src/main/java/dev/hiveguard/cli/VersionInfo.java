package dev.hiveguard.cli;

import dev.hiveguard.wire.Wire;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code --version}: the agent's build version and the wire protocol version it speaks
 * (the driver must have the same major). The build version comes from the
 * {@code pom.properties} Maven puts into every jar, so it can never drift from the
 * POM; a run from an unpackaged class directory says so instead of guessing.
 */
public final class VersionInfo implements IVersionProvider {

    private static final String POM_PROPERTIES = "/META-INF/maven/dev.hiveguard/hiveguard/pom.properties";
    static final String UNPACKAGED = "development build (not packaged)";

    /** The agent's version, or {@link #UNPACKAGED}. */
    public static String agentVersion() {
        try (InputStream in = VersionInfo.class.getResourceAsStream(POM_PROPERTIES)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && !v.isBlank()) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through: a version line is not worth failing --version for
        }
        return UNPACKAGED;
    }

    public static String wireVersion() {
        return Wire.VERSION_MAJOR + "." + Wire.VERSION_MINOR;
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "hiveguard " + agentVersion(),
            "wire protocol " + wireVersion(),
            "Java " + Runtime.version() + " on " + System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        };
    }
}
