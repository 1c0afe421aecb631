package dev.kindling.activities.vmm;

import dev.kindling.activities.temporal.CurrentActivity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCompletionException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Heartbeats the activity that runs on the opening thread, every {@code period} from a virtual
 * thread, until closed. A step that blocks in one call (QEMU daemonizing, an overlay written) still
 * shows its worker alive, and a worker that dies stops heartbeating, so Temporal retries the
 * activity after the heartbeat timeout instead of its much longer start-to-close timeout. Outside
 * an activity (tests, the CLI) it does nothing.
 */
final class BackgroundHeartbeat implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BackgroundHeartbeat.class);

  /**
   * Counted down by {@link #close()}; the ticker waits on it between beats, so closing never
   * interrupts a heartbeat call.
   */
  private final CountDownLatch closed = new CountDownLatch(1);

  static BackgroundHeartbeat start(String detail, Duration period) {
    BackgroundHeartbeat heartbeat = new BackgroundHeartbeat();
    Optional<ActivityExecutionContext> current = CurrentActivity.context();
    if (current.isEmpty()) {
      return heartbeat;
    }
    ActivityExecutionContext context = current.get();
    Thread.ofVirtual()
        .name("heartbeat-" + detail)
        .start(
            () -> {
              try {
                do {
                  context.heartbeat(detail);
                } while (!heartbeat.closed.await(period.toMillis(), TimeUnit.MILLISECONDS));
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } catch (ActivityCompletionException e) {
                // Cancelled, timed out, or the worker stops: there is nobody left to tell.
                log.debug("heartbeat of {} ended: {}", detail, e.toString());
              } catch (RuntimeException e) {
                log.warn("heartbeat of {} failed: {}", detail, e.toString());
              }
            });
    return heartbeat;
  }

  @Override
  public void close() {
    closed.countDown();
  }
}
