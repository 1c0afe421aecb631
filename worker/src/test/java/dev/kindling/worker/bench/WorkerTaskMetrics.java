package dev.kindling.worker.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The Temporal SDK's own account of the worker's workflow tasks, read from the worker's metrics
 * endpoint: how long the worker spent executing them, and how long they waited on their queue. Two
 * readings bracket the measured runs, so warm-up runs are left out.
 */
record WorkerTaskMetrics(double executionSeconds, long executions, double waitSeconds, long waits) {
  private static final long REPORT_INTERVAL_MILLIS = 1000;

  static WorkerTaskMetrics read(URI metrics) throws IOException, InterruptedException {
    Thread.sleep(REPORT_INTERVAL_MILLIS + 500); // the SDK reports its meters once a second
    String text;
    try (InputStream in = metrics.toURL().openStream()) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    return new WorkerTaskMetrics(
        sum(text, "temporal_workflow_task_execution_latency_seconds_sum"),
        (long) sum(text, "temporal_workflow_task_execution_latency_seconds_count"),
        sum(text, "temporal_workflow_task_schedule_to_start_latency_seconds_sum"),
        (long) sum(text, "temporal_workflow_task_schedule_to_start_latency_seconds_count"));
  }

  /** What happened between {@code earlier} and this reading. */
  WorkerTaskMetrics since(WorkerTaskMetrics earlier) {
    return new WorkerTaskMetrics(
        executionSeconds - earlier.executionSeconds,
        executions - earlier.executions,
        waitSeconds - earlier.waitSeconds,
        waits - earlier.waits);
  }

  double meanExecutionMillis() {
    return executions == 0 ? 0 : executionSeconds * 1000 / executions;
  }

  double meanWaitMillis() {
    return waits == 0 ? 0 : waitSeconds * 1000 / waits;
  }

  /** The sum over every series of {@code metric} (all task queues and workflow types). */
  private static double sum(String text, String metric) {
    return text.lines()
        .filter(line -> line.startsWith(metric + "{") || line.startsWith(metric + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }
}
