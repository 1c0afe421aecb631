package dev.kindling.snapshot;

import dev.kindling.workflows.host.GuestNetwork;
import java.util.List;
import java.util.Map;

/** What the golden image is made of, beyond the guest files: packages, units, kernel arguments. */
public final class GuestImageSpec {
  /** Bumped whenever a build step changes what it produces, so old cache entries stop matching. */
  public static final String BUILDER_VERSION = "3";

  public static final String DEFAULT_SUITE = "bookworm";

  /**
   * Installed on top of debootstrap's {@code minbase} (which, like {@code --no-install-recommends},
   * follows Depends only). python3-websockify rather than websockify: the latter's command-line
   * wrapper pulls in python3-jwcrypto and python3-cryptography, which only token plugins use.
   */
  public static final List<String> PACKAGES =
      List.of(
          "systemd",
          "systemd-sysv",
          "iproute2",
          "python3",
          "xvfb",
          "openbox",
          "x11vnc",
          "python3-websockify",
          "xdotool",
          "linux-image-cloud-amd64",
          "initramfs-tools");

  /**
   * Removed with {@code dpkg --force-depends} from every image, whatever its template installs: the
   * guest has no GPU and Xvfb runs with {@code -extension GLX}, so no program in it ever loads a
   * DRI driver (a template's app must not use the GPU either; Chromium runs with {@code
   * --disable-gpu}), and LLVM and Z3 are loaded only by those drivers. Nothing links them: they are
   * reached through dlopen.
   */
  public static final List<String> GPU_PACKAGES =
      List.of(
          "libgl1-mesa-dri",
          "libllvm15",
          "libz3-4",
          "libdrm-amdgpu1",
          "libdrm-nouveau2",
          "libdrm-radeon1",
          "libdrm-intel1",
          "libsensors5",
          "libsensors-config");

  /**
   * Removed with {@code dpkg --force-depends} unless a template's packages depend on them:
   * websockify falls back to pure Python without numpy (client-to-server frames are small), and
   * numpy's import is slow under emulation. None of these is linked by Xvfb, openbox, x11vnc,
   * python3 or systemd (checked with ldd).
   */
  public static final List<String> PURGED_PACKAGES =
      List.of(
          // numpy and its linear algebra.
          "python3-numpy",
          "liblapack3",
          "libblas3",
          "libgfortran5",
          "libquadmath0",
          // Tk, for x11vnc's optional GUI.
          "tk",
          "tk8.6",
          "libtk8.6",
          "libtcl8.6",
          "tcl8.6",
          // imlib2's image loaders (PostScript via Ghostscript, HEIF, JPEG XL, TIFF, WebP, ...):
          // openbox links imlib2 but loads no images in a kiosk session.
          "libgs10",
          "libgs10-common",
          "libgs-common",
          "fonts-urw-base35",
          "poppler-data",
          "libspectre1",
          "libx265-199",
          "libaom3",
          "libdav1d6",
          "libjxl0.7",
          "libhwy1",
          "libheif1",
          "libde265-0",
          "libjbig2dec0",
          "libidn12",
          "libpaper1",
          "libpaper-utils",
          "libcups2",
          "libtiff6",
          "libwebp7",
          "libwebpdemux2",
          "libopenjp2-7",
          "liblcms2-2",
          "libgif7",
          "libid3tag0",
          "libdeflate0",
          "libjbig0",
          "liblerc4",
          "libnuma1");

  /**
   * Removed after the initrd is made: udev, initramfs-tools and their helpers only serve that step,
   * and apt is never run in a disposable VM. The rest is never loaded by the guest's services
   * (checked with readelf): time zones (the guest runs in UTC), the openssl command (x11vnc runs
   * without -ssl), e2fsprogs (nothing checks a file system), and the Berkeley DB and SQLite
   * libraries that only arpd, PAM's userdb and Python's _dbm/_sqlite3 would load.
   */
  public static final List<String> LATE_PURGED_PACKAGES =
      List.of(
          "initramfs-tools",
          "initramfs-tools-core",
          "klibc-utils",
          "libklibc",
          "udev",
          "apt",
          "libapt-pkg6.0",
          "shared-mime-info",
          "tzdata",
          "openssl",
          "e2fsprogs",
          "logsave",
          "libdb5.3",
          "libsqlite3-0");

  /** The services the agent reports, in start order; all must be active for readiness. */
  public static final List<String> UNITS =
      List.of(
          "kindling-network.service",
          "kindling-xvfb.service",
          "kindling-openbox.service",
          "kindling-x11vnc.service",
          "kindling-websockify.service",
          "kindling-agent.service");

  /**
   * All start at boot without waiting for sysinit.target ({@code DefaultDependencies=no}); x11vnc
   * starts with a placeholder password made in the guest, which the agent replaces with the VM's.
   * The template's app is not among {@link #UNITS}: readiness judges it by its window, and a
   * restarting app is not a broken desktop stack.
   */
  public static final List<String> ENABLED_UNITS =
      List.of(
          "kindling-network.service",
          "kindling-xvfb.service",
          "kindling-openbox.service",
          "kindling-x11vnc.service",
          "kindling-websockify.service",
          "kindling-agent.service",
          "kindling-app.service");

  /** Units that only cost boot time in a disposable VM. */
  public static final List<String> MASKED_UNITS =
      List.of(
          "apt-daily.timer",
          "apt-daily-upgrade.timer",
          "dpkg-db-backup.timer",
          "e2scrub_all.timer",
          "e2scrub_reap.service",
          "fstrim.timer",
          "systemd-tmpfiles-clean.timer",
          "getty@tty1.service",
          "serial-getty@ttyS0.service",
          "getty.target",
          "console-getty.service",
          "systemd-timesyncd.service",
          "logrotate.timer",
          "man-db.timer",
          "systemd-udevd.service",
          "systemd-udev-trigger.service",
          "systemd-udev-settle.service",
          "systemd-udevd-control.socket",
          "systemd-udevd-kernel.socket",
          "systemd-hwdb-update.service",
          "systemd-journal-flush.service",
          "systemd-update-utmp.service",
          "systemd-update-utmp-runlevel.service",
          "systemd-logind.service",
          "systemd-pstore.service",
          "systemd-firstboot.service",
          "systemd-machine-id-commit.service",
          "ldconfig.service",
          "systemd-random-seed.service",
          "sys-kernel-debug.mount",
          "sys-kernel-tracing.mount",
          "sys-kernel-config.mount",
          "sys-fs-fuse-connections.mount",
          "dev-hugepages.mount",
          "dev-mqueue.mount",
          "systemd-binfmt.service",
          "proc-sys-fs-binfmt_misc.automount",
          "cryptsetup.target",
          "remote-fs.target",
          "swap.target",
          // Every process costs under emulation; none of these matters in a disposable VM whose
          // root
          // is mounted read-write by the initrd and whose modules were all loaded there.
          "systemd-sysusers.service",
          "systemd-sysctl.service",
          "systemd-modules-load.service",
          "kmod-static-nodes.service",
          "modprobe@.service",
          "systemd-remount-fs.service",
          "systemd-tmpfiles-setup-dev.service",
          "systemd-tmpfiles-setup.service",
          "systemd-user-sessions.service",
          "systemd-ask-password-console.path",
          "systemd-ask-password-wall.path",
          "systemd-initctl.socket",
          "systemd-pcrphase.service",
          "systemd-pcrphase-sysinit.service",
          "systemd-repart.service",
          "systemd-journald-audit.socket",
          "systemd-update-done.service",
          // No journal: units write to /dev/null or their own file in /run (see system.conf.d).
          "systemd-journald.service",
          "systemd-journald.socket",
          "systemd-journald-dev-log.socket");

  /**
   * The root file system is a raw ext4 without a partition table on the first virtio disk. A VMM
   * driver appends {@code kindling.ip=}, {@code kindling.gw=} and machine-specific arguments.
   *
   * <p>{@code boot=kindling} selects the initrd's own boot script (no udev, no modprobe, no fsck).
   * The rest shortens kernel start-up under emulation: no crypto self-tests, no speculation
   * mitigations, no PS/2 probing, one UART, no audit, the CPU's random source trusted at once, and
   * the TSC trusted (under TCG the clocksource watchdog wrongly finds it unstable and falls back to
   * jiffies, which slows the microvm machine most).
   */
  public static final String KERNEL_CMDLINE =
      "console=ttyS0 root=/dev/vda rootfstype=ext4 rw boot=kindling net.ifnames=0 panic=-1 quiet loglevel=3"
          + " systemd.show_status=false cryptomgr.notests mitigations=off random.trust_cpu=on"
          + " 8250.nr_uarts=1 i8042.noaux i8042.nokbd i8042.nopnp audit=0 noresume no_timer_check tsc=reliable";

  public static final Map<String, Integer> PORTS =
      Map.of(
          "agent", GuestNetwork.AGENT_PORT,
          "vnc", GuestNetwork.VNC_PORT,
          "websockify", GuestNetwork.WEBSOCKIFY_PORT);

  private GuestImageSpec() {}
}
