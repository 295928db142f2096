/**
 * The agent as a Windows service: {@link dev.hiveguard.service.ServiceController} is
 * the state machine the service control manager sees (START_PENDING, RUNNING,
 * STOP_PENDING, STOPPED, with checkpoints and wait hints), written against
 * {@link dev.hiveguard.service.ServiceControlBinding} so that it runs over the real
 * advapi32 dispatcher on Windows ({@link dev.hiveguard.service.Advapi32ServiceBinding})
 * and over a recording fake in the tests.
 */
package dev.hiveguard.service;
