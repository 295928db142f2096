package dev.hiveguard.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * Runs the hiveguard command line in-process, exactly as {@code Main} builds it, and captures
 * what it prints. Shared by every package's command tests.
 */
public final class CliRun {

    public final int exitCode;
    public final String out;
    public final String err;
    final CommandLine commandLine;

    CliRun(int exitCode, String out, String err, CommandLine commandLine) {
        this.exitCode = exitCode;
        this.out = out;
        this.err = err;
        this.commandLine = commandLine;
    }

    public static CliRun execute(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        int code = cl.execute(args);
        return new CliRun(code, out.toString(), err.toString(), cl);
    }

    /** Runs {@code hiveguard SUBCOMMAND ARGS...}. */
    public static CliRun execute(String subcommand, String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = subcommand;
        System.arraycopy(args, 0, all, 1, args.length);
        return execute(all);
    }

    public int exit() {
        return exitCode;
    }

    public String out() {
        return out;
    }

    public String err() {
        return err;
    }

    /** The subcommand object picocli ran. */
    <T> T command(String name) {
        return commandLine.getSubcommands().get(name).getCommand();
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
    }
}
