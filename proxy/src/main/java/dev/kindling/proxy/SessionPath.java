package dev.kindling.proxy;

import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.Validation;

/**
 * A request path under the session prefix, split into the session id and what follows it: {@code
 * <prefix>/<id>/websockify} has tail "websockify", the page {@code <prefix>/<id>/} has tail "".
 *
 * @param validId false when the id is not a valid session id (such a session cannot exist)
 */
record SessionPath(String sessionId, String tail, boolean validId) {

  /** The parsed path, or null when {@code path} is not under {@code prefix}. */
  static SessionPath parse(String prefix, String path) {
    if (path == null || !path.startsWith(prefix + "/")) {
      return null;
    }
    String rest = path.substring(prefix.length() + 1);
    int slash = rest.indexOf('/');
    String id = slash < 0 ? rest : rest.substring(0, slash);
    String tail = slash < 0 ? null : rest.substring(slash + 1);
    if (id.isEmpty()) {
      return null;
    }
    boolean valid;
    try {
      Validation.sessionId(id);
      valid = true;
    } catch (InvalidInputException e) {
      valid = false;
    }
    return new SessionPath(id, tail, valid);
  }
}
