package dev.hiveguard.policy;

import dev.hiveguard.model.Operation;
import dev.hiveguard.model.RegistryEvent;
import dev.hiveguard.model.RegistryPaths;
import dev.hiveguard.model.ValueRendering;
import java.util.Locale;

/**
 * One event as the rules see it: each field in Sysmon's spelling, lower-cased once and
 * only when a rule asks for it (rendering Details or converting the path costs more than
 * most rule checks). Not thread-safe: one view per decision.
 */
final class EventView {

    /** The value operations: Sysmon's TargetObject for them ends with the value name. */
    static final int VALUE_OPS = Operation.SET_VALUE.bit() | Operation.DELETE_VALUE.bit();

    final RegistryEvent event;
    final Operation op;
    private String targetLower;
    private String hkcuLower;
    private String detailsLower;
    private String imageLower;
    private String imageNameLower;
    private String userLower;
    private String newNameLower;
    private String pidText;
    private String valueNameLower;

    EventView(RegistryEvent event) {
        this.event = event;
        this.op = event.operation();
    }

    static boolean isValueOp(Operation op) {
        return (op.bit() & VALUE_OPS) != 0;
    }

    String targetLower() {
        if (targetLower == null) {
            targetLower = RegistryPaths.targetObjectLower(event.keyPath(), event.valueName(), isValueOp(op));
        }
        return targetLower;
    }

    /** TargetObject as the owning user would write it (HKCU\...), for rules naming HKCU. */
    String hkcuLower() {
        if (hkcuLower == null) {
            // hkcuView only rewrites the root, so it can work on the lower-cased path directly.
            String t = targetLower();
            String view = RegistryPaths.hkcuView(t);
            hkcuLower = view == t ? t : view.toLowerCase(Locale.ROOT);
        }
        return hkcuLower;
    }

    String detailsLower() {
        if (detailsLower == null) {
            detailsLower = ValueRendering.details(event.valueType(), event.data()).toLowerCase(Locale.ROOT);
        }
        return detailsLower;
    }

    /** The caller's image; the NT {@code \??\} prefix dropped so it reads like Sysmon's. */
    String imageLower() {
        if (imageLower == null) {
            String img = event.image();
            if (img.startsWith("\\??\\")) {
                img = img.substring(4);
            }
            imageLower = img.toLowerCase(Locale.ROOT);
        }
        return imageLower;
    }

    String imageNameLower() {
        if (imageNameLower == null) {
            String img = imageLower();
            imageNameLower = img.substring(img.lastIndexOf('\\') + 1);
        }
        return imageNameLower;
    }

    /**
     * The user: the account name for the well-known service SIDs Sysmon prints by name,
     * else what the event carries (a SID from the driver, a name from a recording).
     */
    String userLower() {
        if (userLower == null) {
            userLower = WellKnownSids.displayName(event.userSid()).toLowerCase(Locale.ROOT);
        }
        return userLower;
    }

    /** Sysmon's NewName: the renamed key's full new path. The driver reports the bare new name. */
    String newNameLower() {
        if (newNameLower == null) {
            String n = event.newName();
            if (n.indexOf('\\') < 0) {
                String key = RegistryPaths.toSysmon(event.keyPath());
                int cut = key.lastIndexOf('\\');
                n = cut < 0 ? n : key.substring(0, cut + 1) + n;
            } else {
                n = RegistryPaths.canonical(n);
            }
            newNameLower = n.toLowerCase(Locale.ROOT);
        }
        return newNameLower;
    }

    String valueNameLower() {
        if (valueNameLower == null) {
            String n = event.valueName();
            valueNameLower = (n.isEmpty() ? RegistryPaths.DEFAULT_VALUE_NAME : n).toLowerCase(Locale.ROOT);
        }
        return valueNameLower;
    }

    String pidText() {
        if (pidText == null) {
            pidText = Long.toString(event.pid());
        }
        return pidText;
    }

    /** The field's text, lower-cased; null when this operation has no such field. */
    String text(Field f) {
        if (!f.presentFor(op)) {
            return null;
        }
        switch (f) {
            case EVENT_TYPE:
                return op.eventType().toLowerCase(Locale.ROOT);
            case TARGET_OBJECT:
                return targetLower();
            case DETAILS:
                return detailsLower();
            case NEW_NAME:
                return newNameLower();
            case IMAGE:
                return imageLower();
            case PROCESS_ID:
                return pidText();
            case USER:
                return userLower();
            case VALUE_NAME:
                return valueNameLower();
            default:
                throw new IllegalStateException("unhandled field " + f);
        }
    }

    /**
     * The field's text as Sysmon writes it, case kept: for case-sensitive tests (Sigma's
     * {@code cased}, regexes), which are rare enough not to be cached. Null when absent.
     */
    String rawText(Field f) {
        if (!f.presentFor(op)) {
            return null;
        }
        switch (f) {
            case EVENT_TYPE:
                return op.eventType();
            case TARGET_OBJECT:
                return RegistryPaths.targetObject(event.keyPath(), event.valueName(), isValueOp(op));
            case DETAILS:
                return ValueRendering.details(event.valueType(), event.data());
            case NEW_NAME: {
                String n = event.newName();
                if (n.indexOf('\\') >= 0) {
                    return RegistryPaths.canonical(n);
                }
                String key = RegistryPaths.toSysmon(event.keyPath());
                int cut = key.lastIndexOf('\\');
                return cut < 0 ? n : key.substring(0, cut + 1) + n;
            }
            case IMAGE: {
                String img = event.image();
                return img.startsWith("\\??\\") ? img.substring(4) : img;
            }
            case PROCESS_ID:
                return pidText();
            case USER:
                return WellKnownSids.displayName(event.userSid());
            case VALUE_NAME:
                return event.valueName().isEmpty() ? RegistryPaths.DEFAULT_VALUE_NAME : event.valueName();
            default:
                throw new IllegalStateException("unhandled field " + f);
        }
    }
}
