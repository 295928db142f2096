/**
 * Windows Event Log output: the "HiveGuard" source in the Application log, whose
 * message table is driver/eventlog/hiveguard-messages.mc compiled into
 * hiveguard-messages.dll. {@link dev.hiveguard.eventlog.EventLog} rate-limits per
 * Event ID and writes off the caller's thread; {@link dev.hiveguard.eventlog.EventLogBinding}
 * is ReportEventW on Windows and nothing elsewhere.
 */
package dev.hiveguard.eventlog;
