package dev.kindling.worker.bench;

import io.temporal.api.history.v1.HistoryEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the time from a workflow's start to one of its events went, read from the server's event
 * times. The workflow runs its activities one after another, so the path is: workflow tasks up to
 * the first activity's scheduling, then per activity its pickup (scheduled → started) and its body
 * (started → completed), then the workflow task that handles the completion and schedules the next
 * one. The three sums add up to the whole interval.
 *
 * @param workflowTaskMillis time from start, or from an activity's completion, to the next activity
 *     being scheduled (or to the end event): workflow tasks, including local activities they run
 * @param pickupMillis activity tasks waiting on their queue until a worker started them
 * @param bodyMillis per activity type, started → completed (a retried activity counts each
 *     attempt's last start only, as the server records it)
 * @param workflowTasks workflow tasks completed before the end event
 */
record CriticalPath(
    long workflowTaskMillis,
    long pickupMillis,
    Map<String, Long> bodyMillis,
    int workflowTasks,
    long taskWaitMillis,
    long taskRunMillis) {

  long bodiesMillis() {
    return bodyMillis.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The path from the execution's start to {@code end}, which must be one of {@code events}. */
  static CriticalPath until(List<HistoryEvent> events, HistoryEvent end) {
    Instant start = time(events.getFirst());
    Map<Long, HistoryEvent> scheduled = new HashMap<>();
    Map<Long, Instant> started = new HashMap<>();
    List<long[]> activities = new ArrayList<>();
    Map<String, Long> bodies = new LinkedHashMap<>();
    int tasks = 0;
    long taskWait = 0;
    long taskRun = 0;
    Instant taskScheduled = start;
    Instant taskStarted = start;
    for (HistoryEvent event : events) {
      if (event.getEventId() >= end.getEventId()) {
        break;
      }
      switch (event.getEventType()) {
        case EVENT_TYPE_ACTIVITY_TASK_SCHEDULED -> scheduled.put(event.getEventId(), event);
        case EVENT_TYPE_ACTIVITY_TASK_STARTED ->
            started.put(
                event.getActivityTaskStartedEventAttributes().getScheduledEventId(), time(event));
        case EVENT_TYPE_ACTIVITY_TASK_COMPLETED -> {
          long id = event.getActivityTaskCompletedEventAttributes().getScheduledEventId();
          HistoryEvent schedule = scheduled.get(id);
          Instant startedAt = started.get(id);
          long[] times = {
            millis(start, time(schedule)), millis(start, startedAt), millis(start, time(event))
          };
          activities.add(times);
          bodies.merge(
              schedule.getActivityTaskScheduledEventAttributes().getActivityType().getName(),
              times[2] - times[1],
              Long::sum);
        }
        case EVENT_TYPE_WORKFLOW_TASK_SCHEDULED -> taskScheduled = time(event);
        case EVENT_TYPE_WORKFLOW_TASK_STARTED -> {
          taskStarted = time(event);
          taskWait += millis(taskScheduled, taskStarted);
        }
        case EVENT_TYPE_WORKFLOW_TASK_COMPLETED -> {
          tasks++;
          taskRun += millis(taskStarted, time(event));
        }
        default -> {}
      }
    }
    activities.sort((a, b) -> Long.compare(a[0], b[0]));
    long workflowTaskMillis = 0;
    long pickupMillis = 0;
    long previous = 0;
    for (long[] activity : activities) {
      workflowTaskMillis += activity[0] - previous;
      pickupMillis += activity[1] - activity[0];
      previous = activity[2];
    }
    workflowTaskMillis += millis(start, time(end)) - previous;
    return new CriticalPath(workflowTaskMillis, pickupMillis, bodies, tasks, taskWait, taskRun);
  }

  private static long millis(Instant from, Instant to) {
    return Duration.between(from, to).toMillis();
  }

  /** When the server recorded {@code event}. */
  static Instant time(HistoryEvent event) {
    return Instant.ofEpochSecond(
        event.getEventTime().getSeconds(), event.getEventTime().getNanos());
  }
}
