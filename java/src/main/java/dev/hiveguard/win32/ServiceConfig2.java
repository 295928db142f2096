package dev.hiveguard.win32;

import com.sun.jna.Structure.FieldOrder;
import com.sun.jna.platform.win32.Winsvc;

/**
 * winsvc.h information structures for {@code ChangeServiceConfig2W} that JNA Platform
 * lacks. Kept outside {@link Advapi32} on purpose: JNA asks a structure's enclosing
 * library interface for its options, which loads the DLL, and these must be
 * constructible on Linux for {@code Win32LayoutTest}.
 */
public final class ServiceConfig2 {

    private ServiceConfig2() {
    }

    /** SERVICE_CONFIG_DELAYED_AUTO_START_INFO: start shortly after the other auto-start services. */
    @FieldOrder({"fDelayedAutostart"})
    public static class SERVICE_DELAYED_AUTO_START_INFO extends Winsvc.ChangeServiceConfig2Info {
        /** BOOL. */
        public int fDelayedAutostart;
    }

    /** SERVICE_CONFIG_SERVICE_SID_INFO: the service's own SID (NT SERVICE\NAME) in its token. */
    @FieldOrder({"dwServiceSidType"})
    public static class SERVICE_SID_INFO extends Winsvc.ChangeServiceConfig2Info {
        public int dwServiceSidType;
    }

    /** SERVICE_CONFIG_PRESHUTDOWN_INFO: how long the SCM waits for a preshutdown stop. */
    @FieldOrder({"dwPreshutdownTimeout"})
    public static class SERVICE_PRESHUTDOWN_INFO extends Winsvc.ChangeServiceConfig2Info {
        /** Milliseconds. */
        public int dwPreshutdownTimeout;
    }

}
