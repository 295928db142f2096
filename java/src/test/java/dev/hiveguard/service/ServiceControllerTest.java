package dev.hiveguard.service;

import static dev.hiveguard.service.ServiceStatus.ERROR_CALL_NOT_IMPLEMENTED;
import static dev.hiveguard.service.ServiceStatus.ERROR_SERVICE_SPECIFIC_ERROR;
import static dev.hiveguard.service.ServiceStatus.NO_ERROR;
import static dev.hiveguard.service.ServiceStatus.SERVICE_CONTROL_INTERROGATE;
import static dev.hiveguard.service.ServiceStatus.SERVICE_CONTROL_PARAMCHANGE;
import static dev.hiveguard.service.ServiceStatus.SERVICE_CONTROL_PRESHUTDOWN;
import static dev.hiveguard.service.ServiceStatus.SERVICE_CONTROL_STOP;
import static dev.hiveguard.service.ServiceStatus.SERVICE_RUNNING;
import static dev.hiveguard.service.ServiceStatus.SERVICE_START_PENDING;
import static dev.hiveguard.service.ServiceStatus.SERVICE_STOPPED;
import static dev.hiveguard.service.ServiceStatus.SERVICE_STOP_PENDING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The SCM's view of the agent, over a binding that records every SetServiceStatus:
 * the state order, checkpoints that grow while pending and are 0 otherwise, wait
 * hints, the controls accepted, and the exit codes of each way to end.
 */
class ServiceControllerTest {

    private static final ServiceController.Timing TIMING = new ServiceController.Timing(15_000, 5_000, 1_000,
            25_000, 70);
    private static final int ACCEPTS = ServiceStatus.SERVICE_ACCEPT_STOP | ServiceStatus.SERVICE_ACCEPT_PRESHUTDOWN
            | ServiceStatus.SERVICE_ACCEPT_PARAMCHANGE;

    private final RecordingServiceBinding scm = new RecordingServiceBinding();
    private final AtomicLong clock = new AtomicLong(1_000);

    /** An agent that serves until asked to stop, scripted by the test. */
    private static final class ScriptedAgent implements ServiceController.Agent {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch serve = new CountDownLatch(1);
        final CountDownLatch stop = new CountDownLatch(1);
        final CountDownLatch finish = new CountDownLatch(1);
        final AtomicInteger stopRequests = new AtomicInteger();
        final AtomicInteger reloads = new AtomicInteger();
        final CountDownLatch reloaded = new CountDownLatch(1);
        volatile int exitBeforeServing = -1;
        volatile int exitAfterStop;
        volatile RuntimeException failure;

        @Override
        public int run(Runnable serving) throws Exception {
            entered.countDown();
            serve.await();
            if (failure != null) {
                throw failure;
            }
            if (exitBeforeServing >= 0) {
                return exitBeforeServing;
            }
            serving.run();
            stop.await();
            finish.await();
            return exitAfterStop;
        }

        @Override
        public void requestStop() {
            stopRequests.incrementAndGet();
            stop.countDown();
        }

        @Override
        public void reloadPolicy() {
            reloads.incrementAndGet();
            reloaded.countDown();
        }
    }

    private final ScriptedAgent agent = new ScriptedAgent();
    private final ServiceController controller = new ServiceController(scm, "HiveGuardAgent", agent, TIMING,
            clock::get);

    private Thread startServiceMain() throws InterruptedException {
        Thread t = new Thread(() -> controller.serviceMain(false), "test-ServiceMain");
        t.setDaemon(true);
        t.start();
        assertTrue(agent.entered.await(10, TimeUnit.SECONDS));
        return t;
    }

    private static ServiceStatus status(int state, int accepts, int win32, int specific, int cp, int hint) {
        return new ServiceStatus(state, accepts, win32, specific, cp, hint);
    }

    @Test
    void startRunStopReportsEachStateWithGrowingCheckpointsAndWaitHints() throws Exception {
        Thread main = startServiceMain();
        assertEquals("HiveGuardAgent", scm.registeredName());
        controller.tick(); // JVM and driver still starting: progress, not silence
        controller.tick();
        agent.serve.countDown();
        scm.awaitReport(s -> s.currentState() == SERVICE_RUNNING, 10_000);
        controller.tick(); // nothing pending: no report

        assertEquals(NO_ERROR, scm.control(SERVICE_CONTROL_STOP));
        assertEquals(1, agent.stopRequests.get());
        controller.tick();
        agent.finish.countDown();
        main.join(10_000);

        assertEquals(List.of(
                status(SERVICE_START_PENDING, 0, NO_ERROR, 0, 1, 15_000),
                status(SERVICE_START_PENDING, 0, NO_ERROR, 0, 2, 15_000),
                status(SERVICE_START_PENDING, 0, NO_ERROR, 0, 3, 15_000),
                status(SERVICE_RUNNING, ACCEPTS, NO_ERROR, 0, 0, 0),
                status(SERVICE_STOP_PENDING, 0, NO_ERROR, 0, 1, 5_000),
                status(SERVICE_STOP_PENDING, 0, NO_ERROR, 0, 2, 5_000),
                status(SERVICE_STOPPED, 0, NO_ERROR, 0, 0, 0)), scm.reports());
        assertFalse(controller.abandoned());
    }

    @Test
    void preshutdownStopsLikeStopAndRepeatedStopsAreNotRepeatedReports() throws Exception {
        Thread main = startServiceMain();
        agent.serve.countDown();
        scm.awaitReport(s -> s.currentState() == SERVICE_RUNNING, 10_000);
        assertEquals(NO_ERROR, scm.control(SERVICE_CONTROL_PRESHUTDOWN));
        assertEquals(NO_ERROR, scm.control(SERVICE_CONTROL_STOP));
        assertEquals(NO_ERROR, scm.control(SERVICE_CONTROL_PRESHUTDOWN));
        agent.finish.countDown();
        main.join(10_000);
        assertEquals(1, agent.stopRequests.get(), "one graceful stop, however many controls");
        assertEquals(List.of(SERVICE_START_PENDING, SERVICE_RUNNING, SERVICE_STOP_PENDING, SERVICE_STOPPED),
                scm.reports().stream().map(ServiceStatus::currentState).toList());
    }

    @Test
    void paramChangeReloadsThePolicyOffTheDispatcherThreadAndKeepsRunning() throws Exception {
        Thread main = startServiceMain();
        agent.serve.countDown();
        scm.awaitReport(s -> s.currentState() == SERVICE_RUNNING, 10_000);
        int before = scm.reports().size();
        assertEquals(NO_ERROR, scm.control(SERVICE_CONTROL_PARAMCHANGE));
        assertTrue(agent.reloaded.await(10, TimeUnit.SECONDS));
        assertEquals(before, scm.reports().size(), "a reload is not a state change");
        assertEquals(NO_ERROR, scm.control(SERVICE_CONTROL_INTERROGATE));
        assertEquals(ERROR_CALL_NOT_IMPLEMENTED, scm.control(0x2 /* PAUSE: not accepted */));
        scm.control(SERVICE_CONTROL_STOP);
        agent.finish.countDown();
        main.join(10_000);
        assertEquals(1, agent.reloads.get());
    }

    @Test
    void aStartThatFailsEndsStoppedWithTheAgentsExitCodeAsServiceSpecificError() throws Exception {
        agent.exitBeforeServing = 3; // device unavailable
        Thread main = startServiceMain();
        agent.serve.countDown();
        main.join(10_000);
        assertEquals(List.of(
                status(SERVICE_START_PENDING, 0, NO_ERROR, 0, 1, 15_000),
                status(SERVICE_STOPPED, 0, ERROR_SERVICE_SPECIFIC_ERROR, 3, 0, 0)), scm.reports());
    }

    @Test
    void anAgentThatStopsOnItsOwnWhileRunningReportsItsCodeSoRecoveryRestartsIt() throws Exception {
        agent.exitAfterStop = 3; // e.g. the driver was unloaded under the agent
        Thread main = startServiceMain();
        agent.serve.countDown();
        scm.awaitReport(s -> s.currentState() == SERVICE_RUNNING, 10_000);
        agent.stop.countDown(); // the agent decides to stop, no control involved
        agent.finish.countDown();
        main.join(10_000);
        assertEquals(status(SERVICE_STOPPED, 0, ERROR_SERVICE_SPECIFIC_ERROR, 3, 0, 0),
                scm.reports().get(scm.reports().size() - 1));
    }

    @Test
    void anAgentThatThrowsEndsStoppedWithTheFailureCode() throws Exception {
        agent.failure = new IllegalStateException("boom");
        Thread main = startServiceMain();
        agent.serve.countDown();
        main.join(10_000);
        assertEquals(status(SERVICE_STOPPED, 0, ERROR_SERVICE_SPECIFIC_ERROR, 70, 0, 0),
                scm.reports().get(scm.reports().size() - 1));
    }

    @Test
    void aStopPastTheDeadlineIsReportedStoppedOnceAndTheProcessIsAbandoned() throws Exception {
        Thread main = startServiceMain();
        agent.serve.countDown();
        scm.awaitReport(s -> s.currentState() == SERVICE_RUNNING, 10_000);
        scm.control(SERVICE_CONTROL_STOP);
        clock.addAndGet(24_999);
        controller.tick();
        assertEquals(status(SERVICE_STOP_PENDING, 0, NO_ERROR, 0, 2, 5_000),
                scm.reports().get(scm.reports().size() - 1));
        clock.addAndGet(1);
        controller.tick();
        controller.tick();
        assertTrue(controller.abandoned());
        agent.finish.countDown(); // the stuck agent returns late: no second STOPPED
        main.join(10_000);
        List<ServiceStatus> reports = scm.reports();
        assertEquals(status(SERVICE_STOPPED, 0, ERROR_SERVICE_SPECIFIC_ERROR, 70, 0, 0),
                reports.get(reports.size() - 1));
        assertEquals(1, reports.stream().filter(s -> s.currentState() == SERVICE_STOPPED).count());
    }

    @Test
    void aStopDuringStartIsHonouredOnceTheAgentServes() throws Exception {
        Thread main = startServiceMain();
        assertEquals(NO_ERROR, scm.control(SERVICE_CONTROL_STOP)); // the SCM would not send it; a race could
        assertEquals(0, agent.stopRequests.get());
        agent.serve.countDown();
        scm.awaitReport(s -> s.currentState() == SERVICE_STOP_PENDING, 10_000);
        agent.finish.countDown();
        main.join(10_000);
        assertEquals(List.of(SERVICE_START_PENDING, SERVICE_RUNNING, SERVICE_STOP_PENDING, SERVICE_STOPPED),
                scm.reports().stream().map(ServiceStatus::currentState).toList());
    }

    @Test
    void theDispatcherPathRunsServiceMainAndItsTickerKeepsPendingStatesMoving() throws Exception {
        ServiceController.Timing fast = new ServiceController.Timing(15_000, 5_000, 20, 25_000, 70);
        ServiceController real = new ServiceController(scm, "HiveGuardAgent", agent, fast);
        Thread dispatcher = new Thread(() -> assertEquals(0, real.runDispatcher()), "test-dispatcher");
        dispatcher.start();
        assertTrue(agent.entered.await(10, TimeUnit.SECONDS));
        scm.awaitReport(s -> s.currentState() == SERVICE_START_PENDING && s.checkPoint() >= 3, 10_000);
        agent.serve.countDown();
        scm.awaitReport(s -> s.currentState() == SERVICE_RUNNING, 10_000);
        scm.control(SERVICE_CONTROL_STOP);
        scm.awaitReport(s -> s.currentState() == SERVICE_STOP_PENDING && s.checkPoint() >= 3, 10_000);
        agent.finish.countDown();
        dispatcher.join(10_000);
        assertFalse(dispatcher.isAlive());
        List<ServiceStatus> reports = scm.reports();
        for (int i = 1; i < reports.size(); i++) {
            ServiceStatus prev = reports.get(i - 1);
            ServiceStatus cur = reports.get(i);
            if (cur.pending() && cur.currentState() == prev.currentState()) {
                assertEquals(prev.checkPoint() + 1, cur.checkPoint(), "checkpoints grow by one: " + reports);
            }
            if (!cur.pending()) {
                assertEquals(0, cur.checkPoint());
                assertEquals(0, cur.waitHintMillis());
            }
        }
    }

    @Test
    void timingThatCouldMissTheSystemsLimitsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ServiceController.Timing(15_000, 5_000, 5_000,
                25_000, 70), "a progress interval as long as the wait hint lets the SCM think we hung");
        assertThrows(IllegalArgumentException.class, () -> new ServiceController.Timing(15_000, 5_000, 1_000,
                ServiceController.PRESHUTDOWN_TIMEOUT_MS, 70), "the stop must end inside the preshutdown timeout");
    }
}
