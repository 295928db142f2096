/**
 * The decision loop: {@link dev.hiveguard.pump.DecisionPump} parks GET_EVENTS requests, decodes each
 * completed batch, asks the {@link dev.hiveguard.policy.Policy}, answers a batch's waiting callers with
 * one REPLY, then audits; back-pressure holds requests back instead of queueing without bound.
 * {@link dev.hiveguard.pump.PumpStatus} is what it reports.
 */
package dev.hiveguard.pump;
