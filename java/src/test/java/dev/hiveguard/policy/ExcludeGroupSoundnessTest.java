package dev.hiveguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hiveguard.device.ImagePaths;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryValueType;
import dev.hiveguard.model.Subscription;
import dev.hiveguard.model.ValueRendering;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Sysmon exclusions over two or more fields ({@code groupRelation="and"}) become EXCLUDE groups
 * (wire minor 3) only where every clause proves its condition, and the driver never hides an
 * event the policy acts on through them: not with the image mapped, unmapped or unknown, nor with
 * the data unknown. If the twin treated an UNKNOWN member as TRUE (an anchored image member on an
 * unmapped or unknown image, a data member on data the driver does not render), the group would
 * hide the regedit / unknown-data events below and this test fails.
 */
class ExcludeGroupSoundnessTest {

    private static final String POLICY = "<RegistryEvent onmatch=\"include\" action=\"block\">"
            + "<TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\Vendor\\</TargetObject></RegistryEvent>"
            + "<RegistryEvent onmatch=\"exclude\">"
            + "<Rule name=\"svchost settings\" groupRelation=\"and\">"
            + "<Image condition=\"is\">C:\\Windows\\System32\\svchost.exe</Image>"
            + "<TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\Vendor\\Cache\\</TargetObject></Rule>"
            + "<Rule name=\"quiet data\" groupRelation=\"and\">"
            + "<TargetObject condition=\"end with\">\\Vendor\\Log\\Level</TargetObject>"
            + "<Details condition=\"contains\">verbose</Details></Rule>"
            + "</RegistryEvent>";

    private static final String SVCHOST = "C:\\Windows\\System32\\svchost.exe";
    private static final String REGEDIT = "C:\\Windows\\regedit.exe";

    @Test
    void provenExclusionsBecomeGroupsAndNeverHideWhatThePolicyBlocks() throws Exception {
        CompiledPolicy p = Policies.of(POLICY);
        Subscription s = p.subscription().withVolumes(ImagePaths.SIMULATED_VOLUMES);
        List<String> groups = s.groups().stream().map(g -> (g.include() ? "include " : "exclude ") + g.describe()).toList();
        assertEquals(3, groups.size(), groups.toString()); // the svchost rule: key classes and value classes
        assertTrue(groups.contains("exclude \\REGISTRY\\MACHINE\\SOFTWARE\\Vendor\\Cache\\"
                + " AND =C:\\Windows\\System32\\svchost.exe (image)"), groups.toString());
        assertTrue(groups.contains("exclude \\REGISTRY\\MACHINE\\SOFTWARE\\Vendor\\Cache\\"
                + " (key\\value) AND =C:\\Windows\\System32\\svchost.exe (image)"), groups.toString());
        assertTrue(groups.contains("exclude *\\Vendor\\Log\\Level (key\\value) AND *verbose* (details)"), groups.toString());

        List<RegistryEvent> events = List.of(
                Policies.setString("HKLM\\SOFTWARE\\Vendor\\Cache\\x", SVCHOST, "1"),   // excluded by the policy
                Policies.setString("HKLM\\SOFTWARE\\Vendor\\Cache\\x", REGEDIT, "1"),   // blocked
                Policies.setString("HKLM\\SOFTWARE\\Vendor\\Run\\x", SVCHOST, "1"),     // blocked
                Policies.setString("HKLM\\SOFTWARE\\Vendor\\Log\\Level", REGEDIT, "verbose"), // excluded
                Policies.setString("HKLM\\SOFTWARE\\Vendor\\Log\\Level", REGEDIT, "quiet"),   // blocked
                Policies.setValue("HKLM\\SOFTWARE\\Vendor\\Log\\Level", REGEDIT, RegistryValueType.REG_MULTI_SZ,
                        ValueRendering.sz("quiet")));                                    // blocked, data unknown
        int blocked = 0;
        for (RegistryEvent e : events) {
            Decision d = p.decide(e);
            if (d.action() == Action.BLOCK) {
                blocked++;
                KernelImage.assertDeliveredInEveryForm(s, e, d, e.toString());
            }
        }
        assertEquals(4, blocked, "the policy blocks four of the six");
        // With the image mapped and the data known, the groups do hide the two excluded writes.
        assertFalse(SubscriptionMatcher.match(s, events.get(0), KernelImage.of(SVCHOST), false).delivered());
        assertFalse(SubscriptionMatcher.match(s, events.get(3), KernelImage.of(REGEDIT), false).delivered());
        // ... and not when the driver cannot prove them.
        assertTrue(SubscriptionMatcher.match(s.withVolumes(List.of()), events.get(0), KernelImage.of(SVCHOST), false)
                .delivered(), "unmapped: the EXACT image member is UNKNOWN");
        assertTrue(SubscriptionMatcher.match(s, events.get(0), "", false).delivered(), "image unknown");
    }

    /**
     * sysmon-modular's shape: lsass writing anywhere its rule names under CurrentControlSet (a
     * {@code contains} that starts at the root: beginning with it proves it) - proven below each
     * control set the kernel may name, since the agent renders each as CurrentControlSet.
     */
    @Test
    void currentControlSetExclusionsAreProvenBelowEachControlSet() throws Exception {
        CompiledPolicy p = Policies.of("<RegistryEvent onmatch=\"include\" action=\"audit\">"
                + "<TargetObject condition=\"begin with\">HKLM\\System\\</TargetObject></RegistryEvent>"
                + "<RegistryEvent onmatch=\"exclude\"><Rule groupRelation=\"and\">"
                + "<Image condition=\"is\">C:\\Windows\\system32\\lsass.exe</Image>"
                + "<TargetObject condition=\"contains\">HKLM\\System\\CurrentControlSet\\Services</TargetObject>"
                + "</Rule></RegistryEvent>");
        Subscription s = p.subscription().withVolumes(ImagePaths.SIMULATED_VOLUMES);
        assertEquals(2, s.groups().size(), s.groups().toString()); // key classes, value classes
        for (String set : List.of("ControlSet001", "ControlSet002")) {
            RegistryEvent lsass = Policies.event(dev.hiveguard.model.Operation.SET_VALUE,
                    "\\REGISTRY\\MACHINE\\SYSTEM\\" + set + "\\Services\\W32Time", "x", "",
                    "C:\\Windows\\system32\\lsass.exe", "", 700, RegistryValueType.REG_SZ, ValueRendering.sz("1"));
            assertEquals(Action.ALLOW, p.decide(lsass).action(), "the policy excludes it");
            assertFalse(SubscriptionMatcher.match(s, lsass, KernelImage.of(lsass.image()), false).delivered(), set);
        }
        RegistryEvent other = Policies.setString("HKLM\\System\\CurrentControlSet\\Services\\W32Time\\x",
                REGEDIT, "1");
        KernelImage.assertDeliveredInEveryForm(s, other, p.decide(other), "regedit under Services");
    }

    @Test
    void anExclusionWithAConditionTheKernelCannotProveSendsNoGroup() throws Exception {
        String[] unprovable = {
            // a bare file name under "is": Sysmon compares the whole path
            "<Image condition=\"is\">svchost.exe</Image><TargetObject condition=\"begin with\">HKLM\\SOFTWARE\\Vendor\\</TargetObject>",
            // an exact key path says nothing of the keys below it; HKCU is every user's hive
            "<Image condition=\"is\">C:\\x.exe</Image><TargetObject condition=\"is\">HKLM\\SOFTWARE\\Vendor\\A</TargetObject>",
            "<Image condition=\"is\">C:\\x.exe</Image><TargetObject condition=\"begin with\">HKCU\\Software\\Vendor\\</TargetObject>",
            // a field without a kernel target
            "<Image condition=\"is\">C:\\x.exe</Image><User condition=\"is\">NT AUTHORITY\\SYSTEM</User>",
            // Details other than contains / end with
            "<TargetObject condition=\"end with\">\\Level</TargetObject><Details condition=\"is\">DWORD (0x00000001)</Details>",
        };
        for (String rule : unprovable) {
            CompiledPolicy p = Policies.of("<RegistryEvent onmatch=\"include\" action=\"audit\">"
                    + "<TargetObject condition=\"begin with\">HKLM\\</TargetObject></RegistryEvent>"
                    + "<RegistryEvent onmatch=\"exclude\"><Rule groupRelation=\"and\">" + rule + "</Rule></RegistryEvent>");
            assertEquals(List.of(), p.subscription().groups(), rule);
        }
    }
}
