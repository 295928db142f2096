package dev.hiveguard.policy;

/** Whether block decisions are enforced or only recorded as would-block. */
public enum PolicyMode {
    ENFORCE("enforce"),
    /** Blocks become audits flagged wouldBlock; nothing waits in the kernel for a verdict. */
    AUDIT_ONLY("audit-only");

    private final String xmlName;

    PolicyMode(String xmlName) {
        this.xmlName = xmlName;
    }

    public String xmlName() {
        return xmlName;
    }

    public static PolicyMode fromXml(String s) {
        for (PolicyMode m : values()) {
            if (m.xmlName.equalsIgnoreCase(s)) {
                return m;
            }
        }
        return null;
    }
}
