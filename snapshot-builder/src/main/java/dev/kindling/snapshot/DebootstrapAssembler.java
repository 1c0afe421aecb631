package dev.kindling.snapshot;

import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.host.exec.CommandFailedException;
import dev.kindling.host.exec.CommandResult;
import dev.kindling.host.exec.Commands;
import dev.kindling.host.images.Manifest;
import dev.kindling.host.images.PackageVersion;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds an image from Debian packages with debootstrap, chroot and {@code mkfs.ext4 -d}: no loop
 * mounts. Must run as root. Two layers are cached as tarballs under {@code <cache>/base/}: the
 * bootstrapped system (one debootstrap, shared by every template), and that system with a
 * template's packages installed and the forced purges done (shared by templates with the same
 * packages), so a change to a template's files or app alone installs nothing again.
 */
public final class DebootstrapAssembler implements ImageAssembler {
  private static final Logger log = LoggerFactory.getLogger(DebootstrapAssembler.class);
  private static final Duration BOOTSTRAP_TIMEOUT = Duration.ofMinutes(30);
  private static final Duration STEP_TIMEOUT = Duration.ofMinutes(10);
  private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(30);
  private static final Map<String, String> CHROOT_ENV =
      Map.of(
          "LC_ALL",
          "C",
          "LANG",
          "C",
          "DEBIAN_FRONTEND",
          "noninteractive",
          "PATH",
          "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  private static final long MIB = 1024 * 1024;
  private static final long BLOCK = 4096;

  /**
   * Written into the template layer: the packages the template's packages need, which no purge
   * removes.
   */
  static final String KEEP_FILE = "var/lib/kindling/template-needs";

  private static final java.util.regex.Pattern UNKNOWN_PACKAGE =
      java.util.regex.Pattern.compile(
          "Unable to locate package (\\S+)|Package '?([^' ]+)'? has no installation candidate");

  @Override
  public AssembledImage assemble(ImageRecipe recipe, Path outDir, HostPaths paths) {
    Path root = outDir.resolve("root");
    try {
      Path layer = templateTarball(recipe, paths);
      Files.createDirectories(root);
      untar(layer, root);
      Set<String> keep = new java.util.TreeSet<>(readKeep(root));
      createAppUser(root);
      installGuestFiles(root, recipe);
      configureSystem(root, recipe);
      String kernelVersion = kernelVersion(root);
      makeInitrd(root, kernelVersion);
      Files.copy(root.resolve("boot/vmlinuz-" + kernelVersion), outDir.resolve(Manifest.KERNEL));
      ElfKernel.extract(outDir.resolve(Manifest.KERNEL), outDir.resolve(Manifest.ELF_KERNEL));
      Files.copy(root.resolve("boot/initrd.img-" + kernelVersion), outDir.resolve(Manifest.INITRD));
      purge(root, without(recipe.latePurgedPackages(), keep));
      List<PackageVersion> packages = installedPackages(root);
      trim(root, kernelVersion);
      Path rootfs = outDir.resolve(Manifest.ROOTFS);
      makeExt4(root, rootfs);
      return new AssembledImage(kernelVersion, packages, Files.size(rootfs), usedBytes(rootfs));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      FileTrees.deleteRecursively(root);
    }
  }

  /**
   * debootstrap alone, cached as {@code <cache>/base/<hash>.tar}: the one layer every template
   * shares.
   */
  Path baseTarball(ImageRecipe recipe, HostPaths paths) throws IOException {
    return cachedLayer(
        paths,
        baseKey(recipe),
        root -> {
          Path debs = debsCache(paths);
          log.info(
              "debootstrap {} from {} ({} packages)",
              recipe.suite(),
              recipe.mirror(),
              recipe.packages().size());
          run(
              List.of(
                  "debootstrap",
                  "--variant=minbase",
                  "--components=main",
                  "--cache-dir=" + debs.toAbsolutePath(),
                  "--include=" + String.join(",", recipe.packages()),
                  recipe.suite(),
                  root.toString(),
                  recipe.mirror()),
              BOOTSTRAP_TIMEOUT);
          // The downloads are in debs/ already, and a template layer fetches fresh package lists.
          emptyDirectory(root.resolve("var/cache/apt/archives"), Set.of("partial", "lock"));
          emptyDirectory(root.resolve("var/lib/apt/lists"), Set.of("partial", "lock"));
        });
  }

  /**
   * The base with the template's packages installed (apt, from the recipe's mirror) and the forced
   * purges done, except for what the template's packages need.
   */
  Path templateTarball(ImageRecipe recipe, HostPaths paths) throws IOException {
    Path base = baseTarball(recipe, paths);
    return cachedLayer(
        paths,
        templateKey(recipe),
        root -> {
          untar(base, root);
          Set<String> keep = Set.of();
          if (!recipe.templatePackages().isEmpty()) {
            installPackages(root, recipe, paths);
            keep = dependencyClosure(root, recipe.templatePackages());
          }
          Path keepFile = root.resolve(KEEP_FILE);
          Files.createDirectories(keepFile.getParent());
          Files.writeString(keepFile, String.join("\n", keep) + "\n");
          List<String> purged = new ArrayList<>(recipe.gpuPackages());
          purged.addAll(without(recipe.purgedPackages(), keep));
          purge(root, purged);
        });
  }

  /** Makes {@code <cache>/base/<key>.tar} with {@code populate} when it is not there yet. */
  private Path cachedLayer(HostPaths paths, String key, Layer populate) throws IOException {
    Path baseDir = paths.cacheDir().resolve("base");
    Files.createDirectories(baseDir);
    Path tarball = baseDir.resolve(key + ".tar");
    if (Files.isRegularFile(tarball)) {
      log.info("reusing layer {}", tarball.getFileName());
      return tarball;
    }
    Path work = Files.createTempDirectory(baseDir, ".layer-");
    try {
      Path root = work.resolve("root");
      Files.createDirectories(root);
      populate.fill(root);
      Path tmp = work.resolve("layer.tar");
      run(
          List.of(
              "tar",
              "-cf",
              tmp.toString(),
              "-C",
              root.toString(),
              "--numeric-owner",
              "--xattrs",
              "--xattrs-include=*",
              "."),
          STEP_TIMEOUT);
      Files.move(tmp, tarball, StandardCopyOption.ATOMIC_MOVE);
      return tarball;
    } finally {
      FileTrees.deleteRecursively(work);
    }
  }

  @FunctionalInterface
  private interface Layer {
    void fill(Path root) throws IOException;
  }

  /** The cache key of the bootstrapped base layer every template shares. */
  public static String baseKey(ImageRecipe recipe) {
    String key =
        "base-builder="
            + recipe.builderVersion()
            + "\nsuite="
            + recipe.suite()
            + "\nmirror="
            + recipe.mirror()
            + "\npackages="
            + recipe.packages().stream().sorted().toList()
            + "\n";
    return sha256Hex(key);
  }

  /**
   * The cache key of the layer with a template's packages; templates with the same packages share
   * it.
   */
  public static String templateKey(ImageRecipe recipe) {
    String key =
        "base="
            + baseKey(recipe)
            + "\ntemplate-packages="
            + recipe.templatePackages().stream().sorted().toList()
            + "\npurge-always="
            + recipe.gpuPackages().stream().sorted().toList()
            + "\npurge="
            + recipe.purgedPackages().stream().sorted().toList()
            + "\n";
    return sha256Hex(key);
  }

  private static String sha256Hex(String text) {
    return HexFormat.of().formatHex(ImageRecipe.sha256(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static Path debsCache(HostPaths paths) throws IOException {
    Path debs = paths.cacheDir().resolve("debs");
    Files.createDirectories(debs);
    return debs;
  }

  private void untar(Path tarball, Path root) {
    run(
        List.of(
            "tar",
            "-xpf",
            tarball.toString(),
            "-C",
            root.toString(),
            "--numeric-owner",
            "--xattrs",
            "--xattrs-include=*"),
        STEP_TIMEOUT);
  }

  /**
   * apt-get inside the chroot, from the recipe's mirror, with the host's resolver for the download
   * and no service started. Packages already downloaded are taken from (and new ones added to) the
   * cache's {@code debs/}. A name the mirror does not have fails as an invalid template naming it.
   */
  private void installPackages(Path root, ImageRecipe recipe, HostPaths paths) throws IOException {
    Path debs = debsCache(paths);
    Path archives = root.resolve("var/cache/apt/archives");
    Files.createDirectories(archives.resolve("partial"));
    linkDebs(debs, archives);
    Files.writeString(
        root.resolve("etc/apt/sources.list"),
        "deb " + recipe.mirror() + " " + recipe.suite() + " main\n");
    Path resolv = root.resolve("etc/resolv.conf");
    Files.deleteIfExists(resolv);
    if (Files.isRegularFile(Path.of("/etc/resolv.conf"))) {
      Files.copy(Path.of("/etc/resolv.conf"), resolv);
    }
    Path policy = root.resolve("usr/sbin/policy-rc.d");
    Files.writeString(
        policy, "#!/bin/sh\n# No service starts while an image is built.\nexit 101\n");
    Files.setPosixFilePermissions(policy, permissions(0755));
    try {
      log.info("installing template {} packages {}", recipe.template(), recipe.templatePackages());
      run(
          List.of(
              "chroot",
              root.toString(),
              "apt-get",
              "update",
              "-q",
              "-o",
              "Acquire::Languages=none"),
          INSTALL_TIMEOUT);
      List<String> install =
          new ArrayList<>(
              List.of(
                  "chroot",
                  root.toString(),
                  "apt-get",
                  "install",
                  "-y",
                  "-q",
                  "--no-install-recommends",
                  "-o",
                  "Dpkg::Options::=--force-confold"));
      install.addAll(recipe.templatePackages());
      CommandResult result = Commands.run(install, INSTALL_TIMEOUT, CHROOT_ENV);
      if (!result.ok()) {
        String output = result.stderr() + "\n" + result.stdout();
        java.util.regex.Matcher unknown = UNKNOWN_PACKAGE.matcher(output);
        if (unknown.find()) {
          String name = unknown.group(1) != null ? unknown.group(1) : unknown.group(2);
          int index = recipe.templatePackages().indexOf(name);
          throw new InvalidTemplateException(
              recipe.template(),
              index >= 0 ? "packages[" + index + "]" : "packages",
              "'"
                  + name
                  + "' is not a package of Debian "
                  + recipe.suite()
                  + " at "
                  + recipe.mirror());
        }
        throw new CommandFailedException(install, result.exitCode(), Commands.tail(output), null);
      }
      linkDebs(archives, debs);
    } finally {
      Files.deleteIfExists(policy);
      FileTrees.deleteRecursively(root.resolve("var/lib/apt/lists"));
      Files.createDirectories(root.resolve("var/lib/apt/lists/partial"));
      emptyDirectory(archives, Set.of("partial", "lock"));
    }
  }

  /**
   * Hard links (or copies, across file systems) every .deb of {@code from} missing in {@code to}.
   */
  private static void linkDebs(Path from, Path to) throws IOException {
    try (Stream<Path> debs = Files.list(from)) {
      for (Path deb : debs.filter(p -> p.getFileName().toString().endsWith(".deb")).toList()) {
        Path target = to.resolve(deb.getFileName());
        if (Files.exists(target)) {
          continue;
        }
        try {
          Files.createLink(target, deb);
        } catch (IOException | UnsupportedOperationException e) {
          Files.copy(deb, target);
        }
      }
    }
  }

  /**
   * {@code packages} and everything they depend on (Depends and Pre-Depends), as installed in
   * {@code root}.
   */
  private static Set<String> dependencyClosure(Path root, List<String> packages) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "chroot",
                root.toString(),
                "apt-cache",
                "depends",
                "--recurse",
                "--installed",
                "--no-recommends",
                "--no-suggests",
                "--no-conflicts",
                "--no-breaks",
                "--no-replaces",
                "--no-enhances"));
    argv.addAll(packages);
    String out = run(argv, STEP_TIMEOUT).stdout();
    Set<String> names = new java.util.TreeSet<>();
    for (String line : out.split("\n")) {
      String name = line.strip();
      int colon = name.indexOf(':');
      if (name.startsWith("|")) {
        name = name.substring(1).strip();
      }
      if (name.startsWith("Depends:") || name.startsWith("PreDepends:")) {
        name = name.substring(name.indexOf(':') + 1).strip();
      } else if (colon >= 0 || name.isEmpty()) {
        continue;
      }
      if (name.startsWith("<")) {
        continue; // a virtual package; its provider is listed on its own line
      }
      name = name.replaceFirst(":.*$", "");
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    return names;
  }

  private static List<String> readKeep(Path root) throws IOException {
    Path file = root.resolve(KEEP_FILE);
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    List<String> names =
        Files.readAllLines(file).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
    FileTrees.deleteRecursively(file.getParent());
    return names;
  }

  private static List<String> without(List<String> packages, Set<String> keep) {
    return packages.stream().filter(p -> !keep.contains(p)).toList();
  }

  private void purge(Path root, List<String> wanted) {
    List<String> installed = installedPackages(root).stream().map(PackageVersion::name).toList();
    List<String> present = wanted.stream().filter(installed::contains).toList();
    if (present.isEmpty()) {
      return;
    }
    log.info("purging {}", present);
    List<String> argv =
        new ArrayList<>(List.of("chroot", root.toString(), "dpkg", "--purge", "--force-depends"));
    argv.addAll(present);
    run(argv, STEP_TIMEOUT);
  }

  /** The unprivileged user the template's app runs as, with a home of its own. */
  private void createAppUser(Path root) throws IOException {
    run(
        List.of(
            "chroot",
            root.toString(),
            "useradd",
            "--uid",
            Integer.toString(Template.USER_ID),
            "--user-group",
            "--create-home",
            "--home-dir",
            Template.HOME,
            "--shell",
            "/bin/bash",
            Template.USER),
        STEP_TIMEOUT);
  }

  private static void installGuestFiles(Path root, ImageRecipe recipe) throws IOException {
    Path realRoot = root.toRealPath();
    for (GuestFile file : recipe.guestFiles()) {
      Path target = root.resolve(file.path());
      Files.createDirectories(target.getParent());
      // Written as root on the host: a directory link the packages left in the tree must not lead
      // out
      // of it. (A link in the file's own place is deleted, not followed.)
      if (!target.getParent().toRealPath().startsWith(realRoot)) {
        throw new InvalidTemplateException(
            recipe.template(),
            "files",
            "'"
                + file.path()
                + "' would be written through a symbolic link in the image ("
                + target.getParent().toRealPath()
                + ")");
      }
      Files.deleteIfExists(target);
      Files.write(target, file.content());
      Files.setPosixFilePermissions(target, permissions(file.mode()));
    }
    Path units = root.resolve("etc/kindling/units");
    Files.createDirectories(units.getParent());
    Files.writeString(units, String.join("\n", recipe.units()) + "\n");
    // The template's files in the app user's home belong to that user.
    Path home = root.resolve(Template.HOME.substring(1));
    try (Stream<Path> walk = Files.walk(home)) {
      for (Path path : walk.toList()) {
        Files.setAttribute(path, "unix:uid", Template.USER_ID, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", Template.USER_ID, LinkOption.NOFOLLOW_LINKS);
      }
    }
  }

  private static void configureSystem(Path root, ImageRecipe recipe) throws IOException {
    Path system = root.resolve("etc/systemd/system");
    for (String unit : recipe.enabledUnits()) {
      String content = Files.readString(system.resolve(unit));
      for (String target : wantedBy(content)) {
        Path wants = system.resolve(target + ".wants");
        Files.createDirectories(wants);
        Path link = wants.resolve(unit);
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, Path.of("/etc/systemd/system", unit));
      }
    }
    for (String unit : recipe.maskedUnits()) {
      Path link = system.resolve(unit);
      Files.deleteIfExists(link);
      Files.createSymbolicLink(link, Path.of("/dev/null"));
    }
    Path defaultTarget = system.resolve("default.target");
    Files.deleteIfExists(defaultTarget);
    Files.createSymbolicLink(defaultTarget, Path.of("/lib/systemd/system/multi-user.target"));
    // An empty machine-id makes systemd generate a fresh one at every boot without treating the
    // boot as a first boot (which would run preset-all and the first-boot wizard).
    Files.writeString(root.resolve("etc/machine-id"), "");
    Files.deleteIfExists(root.resolve("var/lib/dbus/machine-id"));
    Files.writeString(
        root.resolve("etc/fstab"),
        "# The root file system is mounted by the initrd from root=/dev/vda.\n");
  }

  static List<String> wantedBy(String unitFile) {
    List<String> targets = new ArrayList<>();
    boolean install = false;
    for (String raw : unitFile.split("\n")) {
      String line = raw.strip();
      if (line.startsWith("[")) {
        install = line.equals("[Install]");
      } else if (install && line.startsWith("WantedBy=")) {
        targets.addAll(List.of(line.substring("WantedBy=".length()).strip().split("\\s+")));
      }
    }
    return targets;
  }

  private static String kernelVersion(Path root) throws IOException {
    try (Stream<Path> boot = Files.list(root.resolve("boot"))) {
      List<String> versions =
          boot.map(p -> p.getFileName().toString())
              .filter(n -> n.startsWith("vmlinuz-"))
              .map(n -> n.substring("vmlinuz-".length()))
              .sorted()
              .toList();
      if (versions.size() != 1) {
        throw new IllegalStateException("expected exactly one kernel in /boot, found " + versions);
      }
      return versions.getFirst();
    }
  }

  private void makeInitrd(Path root, String kernelVersion) {
    log.info("making the initrd for {}", kernelVersion);
    run(
        List.of(
            "chroot",
            root.toString(),
            "mkinitramfs",
            "-o",
            "/boot/initrd.img-" + kernelVersion,
            kernelVersion),
        STEP_TIMEOUT);
  }

  static List<PackageVersion> installedPackages(Path root) {
    String out =
        Commands.check(
            List.of(
                "dpkg-query",
                "--admindir=" + root.resolve("var/lib/dpkg"),
                "-W",
                "-f=${db:Status-Abbrev}\\t${Package}\\t${Version}\\n"),
            STEP_TIMEOUT);
    List<PackageVersion> packages = new ArrayList<>();
    for (String line : out.split("\n")) {
      String[] fields = line.split("\t");
      if (fields.length == 3 && fields[0].startsWith("ii")) {
        packages.add(new PackageVersion(fields[1], fields[2]));
      }
    }
    return packages;
  }

  /**
   * Removes what a browser VM never reads; dpkg's path-exclude keeps later installs trimmed too.
   */
  private static void trim(Path root, String kernelVersion) throws IOException {
    for (String dir :
        List.of(
            "usr/share/man",
            "usr/share/info",
            "usr/share/groff",
            "usr/share/lintian",
            "usr/share/linda",
            "var/cache/apt",
            "var/lib/apt/lists",
            "var/log",
            "tmp",
            "boot")) {
      emptyDirectory(root.resolve(dir), Set.of());
    }
    emptyDirectory(root.resolve("usr/share/locale"), Set.of("locale.alias"));
    for (String unused :
        List.of("pydoc_data", "lib2to3", "ensurepip", "idlelib", "turtledemo", "distutils")) {
      FileTrees.deleteRecursively(root.resolve("usr/lib/python3.11").resolve(unused));
    }
    Path docs = root.resolve("usr/share/doc");
    if (Files.isDirectory(docs)) {
      try (Stream<Path> packages = Files.list(docs)) {
        for (Path doc : packages.toList()) {
          if (Files.isDirectory(doc, LinkOption.NOFOLLOW_LINKS)) {
            emptyDirectory(doc, Set.of("copyright"));
          }
        }
      }
    }
    // Every module the guest needs is loaded by the initrd; nothing in the root file system loads
    // modules (udev is masked there).
    Path modules = root.resolve("usr/lib/modules/" + kernelVersion + "/kernel");
    FileTrees.deleteRecursively(modules);
    Files.createDirectories(modules);
  }

  static void emptyDirectory(Path dir, Set<String> keep) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> children = Files.list(dir)) {
      for (Path child : children.toList()) {
        if (!keep.contains(child.getFileName().toString())) {
          if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
            FileTrees.deleteRecursively(child);
          } else {
            Files.delete(child);
          }
        }
      }
    }
  }

  /**
   * An ext4 file sized to the content plus headroom, populated from {@code root} without mounting.
   */
  private void makeExt4(Path root, Path image) throws IOException {
    long[] usage = usage(root);
    long bytes = usage[0];
    long inodes = usage[1] + usage[1] / 4 + 4096;
    long size = roundUp(bytes + bytes / 5 + 64 * MIB, MIB);
    log.info("mkfs.ext4 {} MiB for {} MiB in {} files", size / MIB, bytes / MIB, usage[1]);
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(size);
    }
    run(
        List.of(
            "mkfs.ext4",
            "-q",
            "-F",
            "-L",
            "kindling-root",
            "-b",
            "4096",
            "-m",
            "0",
            "-N",
            Long.toString(inodes),
            "-J",
            "size=4",
            "-E",
            "root_owner=0:0",
            "-d",
            root.toString(),
            image.toString()),
        STEP_TIMEOUT);
  }

  /** {bytes rounded to blocks, number of inodes} of a tree, links not followed. */
  private static long[] usage(Path root) throws IOException {
    long[] totals = new long[2];
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            totals[0] += BLOCK;
            totals[1]++;
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            totals[0] += roundUp(attrs.size(), BLOCK);
            totals[1]++;
            return FileVisitResult.CONTINUE;
          }
        });
    return totals;
  }

  static long usedBytes(Path image) {
    String out = Commands.check(List.of("dumpe2fs", "-h", image.toString()), STEP_TIMEOUT);
    return parseUsedBytes(out);
  }

  static long parseUsedBytes(String dumpe2fs) {
    long blocks = -1;
    long free = -1;
    long blockSize = -1;
    for (String line : dumpe2fs.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).strip();
      String value = line.substring(colon + 1).strip();
      switch (key) {
        case "Block count" -> blocks = Long.parseLong(value);
        case "Free blocks" -> free = Long.parseLong(value);
        case "Block size" -> blockSize = Long.parseLong(value);
        default -> {}
      }
    }
    if (blocks < 0 || free < 0 || blockSize < 0) {
      throw new IllegalStateException("dumpe2fs output lacks block counts");
    }
    return (blocks - free) * blockSize;
  }

  private static long roundUp(long value, long unit) {
    return (value + unit - 1) / unit * unit;
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_READ
    };
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        set.add(order[bit]);
      }
    }
    return set;
  }

  private static CommandResult run(List<String> argv, Duration timeout) {
    CommandResult result = Commands.run(argv, timeout, CHROOT_ENV);
    if (!result.ok()) {
      throw new CommandFailedException(
          argv, result.exitCode(), Commands.tail(result.stderr() + "\n" + result.stdout()), null);
    }
    return result;
  }
}
