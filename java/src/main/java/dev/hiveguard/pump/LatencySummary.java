package dev.hiveguard.pump;

/**
 * Decision latency of the pump: from receipt of an event's batch to the REPLY that
 * carried its verdict (or to its decision, for events that need no verdict).
 * Percentiles are bucket bounds within 12.5%; max is exact.
 */
public record LatencySummary(long count, long p50Nanos, long p90Nanos, long p99Nanos, long maxNanos) {
}
