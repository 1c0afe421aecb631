package dev.kindling.worker.runtime;

import dev.kindling.workflows.host.ReadinessReport;
import dev.kindling.workflows.host.StageTiming;
import dev.kindling.workflows.host.StartedVm;
import dev.kindling.workflows.host.VmHandle;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptor;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkerInterceptorBase;
import io.temporal.failure.ApplicationFailure;
import io.temporal.serviceclient.CheckedExceptionWrapper;
import java.time.Duration;
import java.util.stream.LongStream;

/**
 * Records every activity this worker runs (local ones included): how long it took and how it ended,
 * its failure kind, and the timings that readiness reports and VM handles carry.
 */
final class ActivityMetricsInterceptor extends WorkerInterceptorBase {
  static final String OK = "ok";

  /**
   * Histogram buckets of the timers, from a quick host step to a slow image build: a few fixed
   * buckets aggregate across hosts at a fraction of the ~90 of Micrometer's percentile histogram.
   */
  private static final Duration[] BUCKETS =
      LongStream.of(
              5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000,
              300_000, 600_000)
          .mapToObj(Duration::ofMillis)
          .toArray(Duration[]::new);

  private final MeterRegistry registry;

  ActivityMetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public ActivityInboundCallsInterceptor interceptActivity(ActivityInboundCallsInterceptor next) {
    return new Recording(next);
  }

  /**
   * The failure kind of {@code failure}: an application failure's type (Kindling's {@code
   * FailureKind} types), otherwise the exception's simple class name.
   */
  static String kindOf(Throwable failure) {
    Throwable cause = CheckedExceptionWrapper.unwrap(failure);
    if (cause instanceof ApplicationFailure application && application.getType() != null) {
      return application.getType();
    }
    String simpleName = cause.getClass().getSimpleName();
    return simpleName.isEmpty() ? cause.getClass().getName() : simpleName;
  }

  private void recordActivity(String activityType, String outcome, long nanos) {
    timer(
            "kindling.activity",
            "How long activities ran, by type and outcome (ok or the failure kind).",
            "activity",
            activityType,
            "outcome",
            outcome)
        .record(Duration.ofNanos(nanos));
  }

  private void recordFailure(String kind) {
    Counter.builder("kindling.failures")
        .description(
            "Activity failures by kind (the ApplicationFailure type, or the exception's class).")
        .tag("kind", kind)
        .register(registry)
        .increment();
  }

  private void recordResult(Object result) {
    if (result instanceof ReadinessReport report && report.stages() != null) {
      for (StageTiming stage : report.stages()) {
        if (stage != null && stage.stage() != null) {
          timer(
                  "kindling.readiness.stage",
                  "How long each readiness stage took.",
                  "stage",
                  stage.stage())
              .record(Duration.ofMillis(stage.millis()));
        }
      }
    } else if (result instanceof VmHandle handle) {
      recordVmmStart(handle);
    } else if (result instanceof StartedVm started && started.handle() != null) {
      recordVmmStart(started.handle());
    }
  }

  private void recordVmmStart(VmHandle handle) {
    timer(
            "kindling.vmm.start",
            "From spawning the VMM to the VMM reporting the guest running.",
            "vmm",
            String.valueOf(handle.vmm()),
            "mode",
            String.valueOf(handle.mode()))
        .record(Duration.ofMillis(handle.vmmStartMillis()));
  }

  private Timer timer(String name, String description, String... tags) {
    return Timer.builder(name)
        .description(description)
        .tags(tags)
        .serviceLevelObjectives(BUCKETS)
        .register(registry);
  }

  private final class Recording extends ActivityInboundCallsInterceptorBase {
    private String activityType = "unknown";

    Recording(ActivityInboundCallsInterceptor next) {
      super(next);
    }

    @Override
    public void init(ActivityExecutionContext context) {
      activityType = context.getInfo().getActivityType();
      super.init(context);
    }

    @Override
    public ActivityOutput execute(ActivityInput input) {
      long started = System.nanoTime();
      ActivityOutput output;
      try {
        output = super.execute(input);
      } catch (RuntimeException | Error failure) {
        String kind = kindOf(failure);
        recordActivity(activityType, kind, System.nanoTime() - started);
        recordFailure(kind);
        throw failure;
      }
      recordActivity(activityType, OK, System.nanoTime() - started);
      recordResult(output.getResult());
      return output;
    }
  }
}
