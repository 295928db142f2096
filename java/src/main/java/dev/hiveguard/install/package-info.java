/**
 * {@code hiveguard install} / {@code uninstall}: the driver service, the agent
 * service, the Event Log source and the protected data directory.
 * {@link dev.hiveguard.install.Installer} decides what to do and in which order and
 * undoes a half-done install; {@link dev.hiveguard.install.SystemBinding} is every
 * call it makes on the system, implemented over advapi32 by
 * {@link dev.hiveguard.install.WindowsSystemBinding} and by an in-memory Windows in
 * the tests.
 */
package dev.hiveguard.install;
