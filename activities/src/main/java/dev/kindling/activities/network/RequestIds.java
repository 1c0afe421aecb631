package dev.kindling.activities.network;

import dev.kindling.workflows.InvalidInputException;
import java.util.regex.Pattern;

/**
 * Request ids correlate a create with its delete; they are stored in files and logged, never run.
 */
public final class RequestIds {
  private static final Pattern REQUEST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");

  private RequestIds() {}

  public static String check(String requestId) {
    if (requestId == null || !REQUEST.matcher(requestId).matches()) {
      throw new InvalidInputException(
          "requestId", "'" + requestId + "' is not 1-128 letters, digits, '_', '.', ':', '-'");
    }
    return requestId;
  }
}
