package dev.hiveguard.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the hiveguard command line in-process and captures what it prints. */
final class CliRun {

    final int exitCode;
    final String out;
    final String err;
    final CommandLine commandLine;

    CliRun(int exitCode, String out, String err, CommandLine commandLine) {
        this.exitCode = exitCode;
        this.out = out;
        this.err = err;
        this.commandLine = commandLine;
    }

    static CliRun execute(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        int code = cl.execute(args);
        return new CliRun(code, out.toString(), err.toString(), cl);
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
