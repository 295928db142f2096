package dev.hiveguard.policy;

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
}
