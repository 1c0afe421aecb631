package dev.kindling.activities.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.host.Diagnostics;

/**
 * Why a verification failed.
 *
 * @param type the {@link FailureKind#type()} (e.g. {@code WebsockifyRefused})
 * @param stage where it failed: {@code network}, {@code boot}, a readiness stage label such as
 *     {@code tcp-6080}, or {@code snapshot}
 * @param diagnostics the evidence (serial tail, links, neighbours, unit states); null when none was
 *     collected
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record VerifyFailure(String type, String stage, String message, Diagnostics diagnostics) {
  /** The kind named by {@link #type()}, or null for a type Kindling does not define. */
  public FailureKind kind() {
    return FailureKind.ofType(type);
  }

  /** The serial console tail from the diagnostics, or an empty string. */
  public String serialTail() {
    return diagnostics == null || diagnostics.serialTail() == null ? "" : diagnostics.serialTail();
  }
}
