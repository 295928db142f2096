package dev.hiveguard.install;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where everything goes, as Windows path strings.
 *
 * @param packageDir  the unpacked release: the jar, hiveguard.sys, hiveguard-messages.dll
 *                    (the agent runs from here, the Event Log loads the DLL from here)
 * @param jarName     the agent jar's file name in packageDir
 * @param javaExe     the java.exe the agent service runs (the one running the installer)
 * @param systemRoot  %SystemRoot%; the driver image goes to System32\drivers
 * @param dataDir     %ProgramData%\HiveGuard: policy, audit trail, status, log
 */
public record InstallLayout(String packageDir, String jarName, String javaExe, String systemRoot, String dataDir) {

    public static final String DRIVER_IMAGE = "hiveguard.sys";
    public static final String MESSAGE_DLL = "hiveguard-messages.dll";
    public static final String POLICY = "policy.xml";
    /**
     * The heap the agent is meant to run in: its native buffers live outside the heap and its
     * only load-driven queue is capped, while a heap free to grow pauses the registry callers
     * waiting on the agent for collections of gigabytes. The service command carries it; the
     * demo checks the JVM it was given against it.
     */
    public static final long AGENT_HEAP_MIB = 256;
    public static final String AGENT_HEAP_FLAGS = "-Xms128m -Xmx" + AGENT_HEAP_MIB + "m";

    public String jar() {
        return join(packageDir, jarName);
    }

    public String driverSource() {
        return join(packageDir, DRIVER_IMAGE);
    }

    public String messageDll() {
        return join(packageDir, MESSAGE_DLL);
    }

    public String driverTarget() {
        return join(systemRoot, "System32\\drivers\\" + DRIVER_IMAGE);
    }

    /** The driver service's ImagePath, in the form the SCM writes for kernel drivers. */
    public String driverImagePath() {
        return "\\SystemRoot\\System32\\drivers\\" + DRIVER_IMAGE;
    }

    public String policyFile() {
        return join(dataDir, POLICY);
    }

    /**
     * The agent service's command line. {@code -Xrs}: the JVM installs no console
     * control handler, so only the SCM's controls stop the service (a service gets no
     * Ctrl+C, and a logoff must not end it). The heap is bounded ({@link #AGENT_HEAP_FLAGS}).
     */
    public String agentCommandLine() {
        return quote(javaExe) + " -Xrs " + AGENT_HEAP_FLAGS + " -jar " + quote(jar()) + " service --policy " + quote(policyFile());
    }

    /** The layout of this JVM and this jar, on the Windows machine it runs on. */
    public static InstallLayout ofThisProcess(Map<String, String> env) {
        Path jarPath;
        try {
            jarPath = Path.of(InstallLayout.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | SecurityException e) {
            throw new InstallException(InstallException.Kind.BAD_INPUT, "cannot tell where hiveguard.jar is: " + e);
        }
        if (!jarPath.getFileName().toString().endsWith(".jar")) {
            throw new InstallException(InstallException.Kind.BAD_INPUT, "install runs from the release's hiveguard.jar "
                    + "(java -jar hiveguard.jar install), not from " + jarPath);
        }
        String javaExe = Path.of(System.getProperty("java.home"), "bin", "java.exe").toString();
        String systemRoot = env.getOrDefault("SystemRoot", "C:\\Windows");
        String programData = env.getOrDefault("ProgramData", "C:\\ProgramData");
        return new InstallLayout(jarPath.getParent().toString(), jarPath.getFileName().toString(), javaExe, systemRoot, join(programData, "HiveGuard"));
    }

    static String join(String dir, String name) {
        return dir.endsWith("\\") ? dir + name : dir + "\\" + name;
    }

    private static String quote(String path) {
        return "\"" + path + "\"";
    }
}
