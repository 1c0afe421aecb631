package dev.kindling.activities.readiness;

import dev.kindling.workflows.host.ReadinessStage;
import java.time.Duration;

/** Hears readiness progress: used for activity heartbeats and for latency measurements. */
public interface ProbeListener {
  ProbeListener NONE = new ProbeListener() {};

  default void stageStarted(ReadinessStage stage) {}

  /** Called about every {@link ProbeSettings#progressEvery()} while a stage has not passed yet. */
  default void stillWaiting(ReadinessStage stage, Duration elapsed, String lastCause) {}

  /** Called when a stage passes; {@code nanoTime} is {@link System#nanoTime()} at that moment. */
  default void stagePassed(ReadinessStage stage, long nanoTime) {}
}
