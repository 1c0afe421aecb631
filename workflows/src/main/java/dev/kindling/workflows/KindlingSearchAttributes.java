package dev.kindling.workflows;

import io.temporal.common.SearchAttributeKey;
import java.util.List;

/**
 * The typed search attributes Kindling workflows upsert. A namespace must register them before a
 * workflow runs (on a real cluster: {@code temporal operator search-attribute create}); an
 * unregistered attribute fails the workflow task.
 */
public final class KindlingSearchAttributes {
  /** The session a browser VM serves. */
  public static final SearchAttributeKey<String> SESSION =
      SearchAttributeKey.forKeyword("KindlingSession");

  /** The host a VM was placed on. */
  public static final SearchAttributeKey<String> HOST =
      SearchAttributeKey.forKeyword("KindlingHost");

  /** The golden image id a VM runs (or an image workflow builds). */
  public static final SearchAttributeKey<String> IMAGE =
      SearchAttributeKey.forKeyword("KindlingImage");

  /** The template a VM runs (or an image workflow builds). */
  public static final SearchAttributeKey<String> TEMPLATE =
      SearchAttributeKey.forKeyword("KindlingTemplate");

  /** The current {@code Phase} name. */
  public static final SearchAttributeKey<String> PHASE =
      SearchAttributeKey.forKeyword("KindlingPhase");

  private KindlingSearchAttributes() {}

  /** Every key, for registration with a namespace ({@code getName()}, {@code getValueType()}). */
  public static List<SearchAttributeKey<?>> all() {
    return List.of(SESSION, HOST, IMAGE, TEMPLATE, PHASE);
  }
}
