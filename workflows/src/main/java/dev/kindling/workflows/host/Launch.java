package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.kindling.workflows.InvalidInputException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * What a session's app receives when its VM is handed over (after a restore, with the secrets,
 * through the guest agent): a URL for apps that open one, and arguments appended to the app's argv.
 *
 * @param url http or https, at most {@link #MAX_URL_CHARS} characters, no user-info part; or null
 * @param args at most {@link #MAX_ARGS} arguments of at most {@link #MAX_ARG_CHARS} characters
 *     each; passed as argv entries, never through a shell
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Launch(String url, List<String> args) {
  public static final int MAX_URL_CHARS = 2048;
  public static final int MAX_ARGS = 32;
  public static final int MAX_ARG_CHARS = 1024;
  public static final Launch NONE = new Launch(null, List.of());

  public Launch {
    // Not List.copyOf: a null element must reach validated() and fail there as InvalidInput.
    args = args == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(args));
  }

  public boolean isEmpty() {
    return url == null && args.isEmpty();
  }

  /** This launch when every value is acceptable. */
  public Launch validated() {
    if (url != null) {
      checkUrl(url);
    }
    if (args.size() > MAX_ARGS) {
      throw new InvalidInputException(
          "launch.args", "at most " + MAX_ARGS + " arguments, got " + args.size());
    }
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg == null) {
        throw new InvalidInputException("launch.args[" + i + "]", "must not be null");
      }
      if (arg.length() > MAX_ARG_CHARS) {
        throw new InvalidInputException(
            "launch.args[" + i + "]",
            "at most " + MAX_ARG_CHARS + " characters, got " + arg.length());
      }
      if (arg.chars().anyMatch(Character::isISOControl)) {
        throw new InvalidInputException(
            "launch.args[" + i + "]", "must not contain control characters");
      }
    }
    return this;
  }

  private static void checkUrl(String url) {
    if (url.length() > MAX_URL_CHARS) {
      throw new InvalidInputException(
          "launch.url", "at most " + MAX_URL_CHARS + " characters, got " + url.length());
    }
    if (url.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
      throw new InvalidInputException(
          "launch.url", "must not contain spaces or control characters");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new InvalidInputException("launch.url", "is not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new InvalidInputException("launch.url", "must be http or https, was '" + scheme + "'");
    }
    if (uri.getRawAuthority() == null || uri.getHost() == null) {
      throw new InvalidInputException("launch.url", "must name a host");
    }
    if (uri.getRawUserInfo() != null) {
      throw new InvalidInputException(
          "launch.url", "must not carry a user-info part (user:password@)");
    }
  }
}
