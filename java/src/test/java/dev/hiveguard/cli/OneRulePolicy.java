package dev.hiveguard.cli;

/** A policy of one TargetObject "begin with" rule, enforced, 5 s timeout, fail open: what the agent command tests reload. */
final class OneRulePolicy {

    private OneRulePolicy() {
    }

    static String xml(String ruleName, String action, String target) {
        return "<Sysmon schemaversion=\"4.90\">\n"
                + "  <HiveGuard mode=\"enforce\" defaultAction=\"allow\" timeout=\"5000\" failmode=\"open\"/>\n"
                + "  <EventFiltering>\n"
                + "    <RuleGroup name=\"\" groupRelation=\"or\">\n"
                + "      <RegistryEvent onmatch=\"include\" action=\"" + action + "\">\n"
                + "        <TargetObject name=\"" + ruleName + "\" condition=\"begin with\">" + target + "</TargetObject>\n"
                + "      </RegistryEvent>\n"
                + "    </RuleGroup>\n"
                + "  </EventFiltering>\n"
                + "</Sysmon>\n";
    }
}
