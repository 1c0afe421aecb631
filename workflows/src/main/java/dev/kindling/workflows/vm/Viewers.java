package dev.kindling.workflows.vm;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Who has a session's desktop open through the proxy, as the proxy last reported it.
 *
 * @param count open connections, view-only and controlling
 * @param controller the connection whose input reaches the VM (as the proxy names it), or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Viewers(int count, String controller) {
  public static final Viewers NONE = new Viewers(0, null);
}
