package dev.kindling.worker.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README.md's Configuration table is the operator's reference: it lists every {@link Setting}, and
 * only settings, as {@link Setting} has them. The rules for a row ({@code | key | environment |
 * default | meaning |}):
 *
 * <ul>
 *   <li>The key cell names one or more keys, each in backticks, separated by {@code ", "}; every
 *       key is a {@link Setting}, and every {@link Setting} is named by exactly one row.
 *   <li>The environment cell names each key's {@link Setting#envName()} in backticks, in the same
 *       order.
 *   <li>In a row of several keys, the default cell gives one default per key, in the same order,
 *       separated by {@code ", "}.
 *   <li>A setting with a default value: its default is that value, bare or in backticks, and
 *       optionally {@code ": "} and what the value means ({@code 8233}, {@code `false`}, {@code
 *       `-1`: none}, {@code 0: from the open-file limit}).
 *   <li>A setting whose default is empty (the value is derived at run time): its default says in
 *       words where the value comes from ({@code hostname}, {@code this host's apt sources}); it
 *       must contain a letter, so that it cannot pass for a value of its own.
 * </ul>
 */
class SettingsDocTest {
  private static final Pattern ROW = Pattern.compile("^\\| (.*) \\|$");
  private static final Pattern NAMES = Pattern.compile("`[^`]+`(, `[^`]+`)*");
  private static final Pattern QUOTED = Pattern.compile("`([^`]+)`");

  /** One README row per key: its environment name and default as the table gives them. */
  private record Documented(String envName, String defaultCell) {}

  private static Map<String, Documented> table() throws IOException {
    Path root = Path.of(System.getProperty("kindling.repo.root", ".."));
    String readme = Files.readString(root.resolve("README.md"));
    int start = readme.indexOf("\n## Configuration\n");
    assertTrue(start >= 0, "README.md has no Configuration section");
    int end = readme.indexOf("\n## ", start + 1);
    String section = readme.substring(start, end < 0 ? readme.length() : end);

    Map<String, Documented> rows = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (String line : section.split("\n")) {
      Matcher row = ROW.matcher(line.strip());
      if (!row.matches() || !line.startsWith("| `")) {
        continue;
      }
      String[] cells = row.group(1).split(" \\| ", -1);
      if (cells.length != 4) {
        problems.add("not four cells: " + line);
        continue;
      }
      List<String> keys = names(cells[0], line, problems);
      List<String> envs = names(cells[1], line, problems);
      List<String> defaults =
          keys.size() == 1
              ? List.of(cells[2].strip())
              : Arrays.asList(cells[2].strip().split(", ", -1));
      if (keys.size() != envs.size() || keys.size() != defaults.size()) {
        problems.add(
            keys.size()
                + " keys, "
                + envs.size()
                + " environment names and "
                + defaults.size()
                + " defaults: "
                + line);
        continue;
      }
      for (int i = 0; i < keys.size(); i++) {
        if (rows.put(keys.get(i), new Documented(envs.get(i), defaults.get(i).strip())) != null) {
          problems.add("`" + keys.get(i) + "` has more than one row");
        }
      }
    }
    assertTrue(problems.isEmpty(), "README.md's Configuration table: " + problems);
    return rows;
  }

  private static List<String> names(String cell, String line, List<String> problems) {
    if (!NAMES.matcher(cell.strip()).matches()) {
      problems.add("'" + cell + "' is not a list of names in backticks: " + line);
      return List.of();
    }
    List<String> names = new ArrayList<>();
    Matcher quoted = QUOTED.matcher(cell);
    while (quoted.find()) {
      names.add(quoted.group(1));
    }
    return names;
  }

  /** The default-cell rule of this class's comment. */
  static boolean agrees(Setting setting, String cell) {
    String value = setting.defaultValue();
    if (value.isEmpty()) {
      return cell.chars().anyMatch(Character::isLetter);
    }
    for (String form : List.of(value, "`" + value + "`")) {
      if (cell.equals(form) || cell.startsWith(form + ": ")) {
        return true;
      }
    }
    return false;
  }

  @Test
  void everyKeyInTheTableIsASetting() throws IOException {
    List<String> unknown =
        table().keySet().stream().filter(key -> Setting.ofKey(key) == null).toList();
    assertTrue(unknown.isEmpty(), "README.md documents keys that are not settings: " + unknown);
  }

  @Test
  void everySettingHasARowWithItsEnvironmentNameAndDefault() throws IOException {
    Map<String, Documented> table = table();
    Map<Setting, String> wrong = new EnumMap<>(Setting.class);
    for (Setting setting : Setting.values()) {
      Documented row = table.get(setting.key());
      if (row == null) {
        wrong.put(setting, "no row");
      } else if (!row.envName().equals(setting.envName())) {
        wrong.put(setting, "environment `" + row.envName() + "`, not `" + setting.envName() + "`");
      } else if (!agrees(setting, row.defaultCell())) {
        wrong.put(
            setting,
            "default '"
                + row.defaultCell()
                + "' where Setting has '"
                + setting.defaultValue()
                + "'");
      }
    }
    assertTrue(wrong.isEmpty(), "README.md's Configuration table disagrees with Setting: " + wrong);
  }

  @Test
  void theDefaultRuleAcceptsOnlyTheValueOrAnExplanationOfADerivedOne() {
    assertTrue(agrees(Setting.TEMPORAL_UI_PORT, "8233"));
    assertTrue(agrees(Setting.PRODUCTION, "`false`"));
    assertTrue(agrees(Setting.PROXY_METRICS_PORT, "`-1`: none"));
    assertTrue(agrees(Setting.PROXY_MAX_CONNECTIONS, "0: from the open-file limit"));
    assertTrue(agrees(Setting.HOST_ID, "hostname"));
    assertFalse(agrees(Setting.TEMPORAL_UI_PORT, "82330"));
    assertFalse(agrees(Setting.TEMPORAL_UI_PORT, "`8234`"));
    assertFalse(agrees(Setting.PROXY_MAX_CONNECTIONS, "0 or less"));
    assertFalse(agrees(Setting.HOST_ID, "0"));
    assertFalse(agrees(Setting.HOST_ID, ""));
  }
}
