package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@code Grad.detectAnomaly()}: backward fails at the FIRST node (in backward order) whose gradient holds NaN or
 * infinity, with PyTorch's message and the forward-pass creation site of that node (the user's frames in the message,
 * the full creation trace as the cause). Outside the scope the same graphs run and propagate NaN/inf silently, as in
 * PyTorch.
 */
class AnomalyDetectionTest {

    private static IllegalStateException backwardFails(Tensor loss) {
        return assertThrows(IllegalStateException.class, loss::backward);
    }

    private static void assertPointsHere(IllegalStateException e, String method) {
        String msg = e.getMessage();
        assertTrue(msg.contains("Traceback of forward call"), msg);
        // the first frame shown is the user's forward call in this test, not vgrad internals
        String firstFrame = msg.substring(msg.indexOf("\tat ") + 4).lines().findFirst().orElseThrow();
        assertTrue(firstFrame.startsWith(AnomalyDetectionTest.class.getName() + "." + method), msg);
        assertNotNull(e.getCause(), "creation trace as cause");
        assertTrue(e.getCause().getMessage().startsWith("forward call that created"), e.getCause().getMessage());
    }

    @Test
    void sqrtOfZeroFailsInSqrtBackward() {
        Tensor x = Tensor.of(new float[] {0, 1, 4}, 3).requiresGrad(true);
        try (var a = Grad.detectAnomaly()) {
            Tensor loss = x.sqrt().sum();
            IllegalStateException e = backwardFails(loss);
            assertTrue(e.getMessage().startsWith("Function 'SqrtBackward0' returned inf values in its 0th output."),
                    e.getMessage());
            assertPointsHere(e, "sqrtOfZeroFailsInSqrtBackward");
        }
        assertNull(x.grad(), "nothing accumulated into .grad when the pass fails");
    }

    @Test
    void logOfNegativeFailsAtFirstNanNodeInBackwardOrder() {
        Tensor x = Tensor.of(new float[] {-1, 2}, 2).requiresGrad(true);
        try (var a = Grad.detectAnomaly()) {
            Tensor y = x.log();            // NaN in forward (PyTorch does not check forward values)
            Tensor loss = y.mul(y).sum();  // MulBackward0 is reached first and produces NaN
            IllegalStateException e = backwardFails(loss);
            assertTrue(e.getMessage().startsWith("Function 'MulBackward0' returned nan values in its 0th output."),
                    e.getMessage());
            assertPointsHere(e, "logOfNegativeFailsAtFirstNanNodeInBackwardOrder");
        }
    }

    @Test
    void zeroOverZeroFailsInDivBackward() {
        Tensor a = Tensor.of(new double[] {0, 1}, 2).requiresGrad(true);
        Tensor b = Tensor.of(new double[] {0, 1}, 2).requiresGrad(true);
        try (var s = Grad.detectAnomaly()) {
            Tensor loss = a.div(b).sum();
            IllegalStateException e = backwardFails(loss);
            assertTrue(e.getMessage().matches("(?s)Function 'DivBackward0' returned (nan|inf) values in its [01]th output\\..*"),
                    e.getMessage());
            assertPointsHere(e, "zeroOverZeroFailsInDivBackward");
        }
    }

    @Test
    void withoutAnomalyModeNonFiniteGradientsPropagateSilently() {
        Tensor x = Tensor.of(new float[] {0, 1}, 2).requiresGrad(true);
        x.sqrt().sum().backward();
        assertEquals(Float.POSITIVE_INFINITY, x.grad().toArray()[0]);
        assertFalse(Grad.isAnomalyEnabled());
    }

    @Test
    void finiteGraphsPassAndScopeIsRestoredAndThreadLocal() throws Exception {
        Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        AtomicBoolean otherThread = new AtomicBoolean(true);
        try (var a = Grad.detectAnomaly()) {
            assertTrue(Grad.isAnomalyEnabled());
            Thread t = new Thread(() -> otherThread.set(Grad.isAnomalyEnabled()));
            t.start();
            t.join();
            x.mul(x).sqrt().sum().backward();
        }
        assertFalse(otherThread.get(), "anomaly mode is per thread");
        assertFalse(Grad.isAnomalyEnabled());
        assertEquals(1.0f, x.grad().toArray()[0], 1e-6f);
    }

    @Test
    void nodesCreatedOutsideTheScopeStillFailButSayHowToGetTheTrace() {
        Tensor x = Tensor.of(new float[] {0}, 1).requiresGrad(true);
        Tensor loss = x.sqrt().sum();
        try (var a = Grad.detectAnomaly()) {
            IllegalStateException e = backwardFails(loss);
            assertTrue(e.getMessage().contains("SqrtBackward0"), e.getMessage());
            assertTrue(e.getMessage().contains("enable Grad.detectAnomaly() before the forward pass"), e.getMessage());
        }
    }
}
