package dev.hiveguard.policy.sigma;

/**
 * A rule (or file) that was read but is not enforced, and why: every one is listed by
 * {@code policy validate} and {@code policy show}, none is dropped silently.
 *
 * @param file   where it was read
 * @param line   1-based line the reason points at
 * @param id     the rule's id, "" when unknown
 * @param title  the rule's title, "" when unknown
 * @param reason why it is not enforced
 */
public record UnsupportedRule(String file, int line, String id, String title, String reason) {

    @Override
    public String toString() {
        String who = id.isEmpty() && title.isEmpty() ? "" : " Sigma rule " + (id.isEmpty() ? "" : id + " ")
                + (title.isEmpty() ? "" : "\"" + title + "\"");
        return file + ":" + line + ":" + who + " not loaded: " + reason;
    }
}
