package dev.hiveguard.policy;

import dev.hiveguard.device.ImagePaths;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.Subscription;
import java.util.List;

/**
 * The image path a Sysmon recording prints (Win32: {@code C:\Windows\regedit.exe}) as the
 * driver sees it ({@code \Device\HarddiskVolume3\Windows\regedit.exe}; a share under
 * {@code \Device\Mup}): what the soundness tests hand the twin matcher besides the recorded
 * form, since the kernel's IMAGE entries must hold for both.
 */
public final class KernelImage {

    private KernelImage() {
    }

    public static String of(String win32) {
        if (win32 == null) {
            return "";
        }
        String s = win32.startsWith("\\??\\") ? win32.substring(4) : win32;
        if (s.length() >= 2 && s.charAt(1) == ':' && Character.isLetter(s.charAt(0))) {
            return "\\Device\\HarddiskVolume" + (Character.toUpperCase(s.charAt(0)) - 'A' + 1) + s.substring(2);
        }
        if (s.startsWith("\\\\")) {
            return "\\Device\\Mup" + s.substring(1);
        }
        return win32;
    }

    /**
     * Fails unless the twin delivers {@code e} - and makes the caller wait when {@code d} blocks -
     * with its image in kernel form under {@code s}'s volume map as the agent sends it (mapped),
     * without a map (unmapped: a volume mounted after CONFIGURE, a letterless one, a share), and
     * with no image at all (the driver could not learn it), each also with the subject unknown (data
     * the driver does not render), whenever the policy acts on it.
     */
    public static void assertDeliveredInEveryForm(Subscription s, RegistryEvent e, Decision d, String ctx) {
        String kernel = KernelImage.of(e.image());
        List<Object[]> forms = List.of(
                new Object[] {"mapped", s.withVolumes(ImagePaths.SIMULATED_VOLUMES), kernel},
                new Object[] {"unmapped", s.withVolumes(List.of()), kernel},
                new Object[] {"unknown", s.withVolumes(ImagePaths.SIMULATED_VOLUMES), ""});
        for (Object[] f : forms) {
            Subscription sf = (Subscription) f[1];
            SubscriptionMatcher.Match k = SubscriptionMatcher.match(sf, e, (String) f[2], false);
            // And with the subject (SetValue's data, the rename's new name) unknown to the driver:
            // DATA / NEW_NAME entries and group members then count as UNKNOWN.
            SubscriptionMatcher.Match u = SubscriptionMatcher.match(sf, e.operation(), e.keyPath(), e.valueName(),
                    (String) f[2], null, e.pid(), false);
            for (SubscriptionMatcher.Match m : List.of(k, u)) {
                if (d.action() != Action.ALLOW && (!m.delivered() || (d.action() == Action.BLOCK && !m.wantsVerdict()))) {
                    org.junit.jupiter.api.Assertions.fail(f[0] + " kernel image " + f[2]
                            + (m == u ? ", subject unknown," : "") + " loses " + d.action() + ": " + ctx);
                }
            }
        }
    }
}
