package dev.kindling.workflows.client;

/** How the cleanup workflow is started periodically. */
public enum CleanupTrigger {
  /** A Temporal Schedule (real clusters). */
  SCHEDULE,
  /** A cron workflow, for servers without Schedules (the embedded test server). */
  CRON
}
