package dev.hiveguard.policy;

/**
 * One located problem in a policy file, printed as {@code file:line:column: reason} so
 * editors and CI logs can jump to it.
 */
public record PolicyError(String file, int line, int column, String reason) {

    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + reason;
    }
}
