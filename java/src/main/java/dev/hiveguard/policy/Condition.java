package dev.hiveguard.policy;

/**
 * Sysmon's filter conditions. All string comparisons are case-insensitive, as in Sysmon.
 * The {@code any}/{@code all} forms take a {@code ;}-separated list.
 */
public enum Condition {
    IS("is", false),
    IS_NOT("is not", false),
    IS_ANY("is any", true),
    CONTAINS("contains", false),
    CONTAINS_ANY("contains any", true),
    CONTAINS_ALL("contains all", true),
    EXCLUDES("excludes", false),
    EXCLUDES_ANY("excludes any", true),
    EXCLUDES_ALL("excludes all", true),
    BEGIN_WITH("begin with", false),
    NOT_BEGIN_WITH("not begin with", false),
    END_WITH("end with", false),
    NOT_END_WITH("not end with", false),
    LESS_THAN("less than", false),
    MORE_THAN("more than", false),
    /** Matches the image's file name when the pattern has no backslash, else the full path. */
    IMAGE("image", false);

    /** Separator of the list conditions, as in Sysmon. */
    public static final String LIST_SEPARATOR = ";";

    private final String xmlName;
    private final boolean list;

    Condition(String xmlName, boolean list) {
        this.xmlName = xmlName;
        this.list = list;
    }

    public String xmlName() {
        return xmlName;
    }

    /** Whether the pattern is a {@code ;}-separated list. */
    public boolean takesList() {
        return list;
    }

    /** Whether the condition can only constrain a path to begin with its pattern. */
    public boolean isPrefixLike() {
        return this == IS || this == IS_ANY || this == BEGIN_WITH;
    }

    /** Case-insensitive lookup of the attribute value; null when unknown. */
    public static Condition fromXml(String name) {
        for (Condition c : values()) {
            if (c.xmlName.equalsIgnoreCase(name)) {
                return c;
            }
        }
        return null;
    }
}
