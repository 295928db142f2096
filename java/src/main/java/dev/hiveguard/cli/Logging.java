package dev.hiveguard.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Operational logging set-up beyond {@code logback.xml}: the level a command wants
 * (one-shot commands stay quiet, the service logs INFO) and, for the service, a
 * rolling log file in its state directory - configured here because logback.xml
 * cannot add an appender conditionally without the Janino library.
 */
final class Logging {

    static final String FILE_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36} - %msg%n";
    /** 10 MiB x 7 files: a week of an agent's INFO output with headroom, bounded on disk. */
    static final String LOG_FILE_MAX_SIZE = "10MB";
    static final int LOG_FILE_HISTORY = 7;
    static final String LOG_TOTAL_CAP = "100MB";

    private Logging() {
    }

    /**
     * Sets the root level, unless the user chose one with {@code -Dhiveguard.log.level},
     * which logback.xml already applied.
     */
    static void setDefaultLevel(Level level) {
        if (System.getProperty("hiveguard.log.level") != null) {
            return;
        }
        root().setLevel(level);
    }

    static void setLevel(Level level) {
        root().setLevel(level);
    }

    /** Adds a size- and day-rolled log file {@code <dir>/hiveguard.log}. */
    static void addRollingFile(Path dir) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(FILE_PATTERN);
        encoder.start();

        RollingFileAppender<ch.qos.logback.classic.spi.ILoggingEvent> file = new RollingFileAppender<>();
        file.setContext(ctx);
        file.setName("state-dir-file");
        file.setFile(dir.resolve("hiveguard.log").toString());
        SizeAndTimeBasedRollingPolicy<ch.qos.logback.classic.spi.ILoggingEvent> policy =
                new SizeAndTimeBasedRollingPolicy<>();
        policy.setContext(ctx);
        policy.setParent(file);
        policy.setFileNamePattern(dir.resolve("hiveguard.%d{yyyy-MM-dd}.%i.log").toString());
        policy.setMaxFileSize(FileSize.valueOf(LOG_FILE_MAX_SIZE));
        policy.setMaxHistory(LOG_FILE_HISTORY);
        policy.setTotalSizeCap(FileSize.valueOf(LOG_TOTAL_CAP));
        policy.start();
        file.setRollingPolicy(policy);
        file.setEncoder(encoder);
        file.start();
        root().addAppender(file);
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
