package dev.kindling.activities.shared;

import dev.kindling.workflows.hosts.HostRecord;
import java.util.List;

/** The hosts' records as placement and the reconciler read them. */
public interface HostRecords {
  /** The records as last read; at most a few seconds old. */
  List<HostRecord> cached();

  /** The records read now. */
  List<HostRecord> fresh();
}
