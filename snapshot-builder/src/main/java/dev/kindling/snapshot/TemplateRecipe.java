package dev.kindling.snapshot;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The declarative file of a template ({@code template.json}), as written. Unknown keys are refused
 * when it is read; {@link Template} checks every value. The schema is documented in
 * docs/TEMPLATES.md.
 *
 * @param id the template id, like {@code terminal}: 1-32 lowercase letters, digits or '-'
 * @param description one line for people
 * @param packages Debian packages installed on top of Kindling's base image
 * @param files files copied from the template directory into the guest
 * @param app the session app
 * @param defaults guest size and screen when a session names none
 * @param pool how many ready VMs of this template each host keeps for sessions; none when absent
 */
public record TemplateRecipe(
    String id,
    String description,
    List<String> packages,
    List<FileEntry> files,
    App app,
    Defaults defaults,
    Pool pool) {

  /**
   * @param source a path relative to the template directory
   * @param target a path relative to the guest's root, under one of {@link
   *     Template#ALLOWED_TARGET_ROOTS}
   * @param mode octal permission bits as a string, e.g. {@code "0644"}
   */
  public record FileEntry(String source, String target, String mode) {}

  /**
   * @param argv the program and its arguments; never run through a shell
   * @param environment added to the app's environment
   * @param workingDirectory an absolute guest path; default the user's home
   * @param onExit what happens when the app exits: {@code restart} it, or {@code release} the lease
   * @param window how the app proves it is up: a mapped window matching these
   */
  public record App(
      List<String> argv,
      Map<String, String> environment,
      String workingDirectory,
      OnExit onExit,
      Window window) {}

  /** Regular expressions; both must match when both are given. */
  public record Window(String wmClass, String title) {}

  /**
   * @param egress what a session may reach when it names nothing itself ({@code name[:port]} or
   *     {@code *.suffix[:port]}); none when absent
   */
  public record Defaults(Integer memoryMib, Integer vcpus, Screen screen, List<String> egress) {}

  public record Screen(int width, int height) {}

  /**
   * @param target ready VMs per host; 0 (the default) keeps none
   * @param maxAgeSeconds a ready VM older than this is replaced; default an hour, 0 for never
   * @param maxMemoryMib the pool's guest memory on a host at most; default and 0 for no cap
   */
  public record Pool(Integer target, Long maxAgeSeconds, Integer maxMemoryMib) {}

  public enum OnExit {
    @JsonProperty("restart")
    RESTART,
    @JsonProperty("release")
    RELEASE
  }
}
