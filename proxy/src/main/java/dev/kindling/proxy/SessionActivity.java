package dev.kindling.proxy;

import dev.kindling.workflows.vm.Viewers;

/** What the proxy tells a session's owner (its workflow): who has it open, and that it is used. */
public interface SessionActivity {
  SessionActivity NONE =
      new SessionActivity() {
        @Override
        public void viewers(String sessionId, Viewers viewers) {}

        @Override
        public void input(String sessionId) {}
      };

  /** The session's viewers changed. */
  void viewers(String sessionId, Viewers viewers);

  /** A controlling viewer sent keys, pointer or clipboard to the VM. */
  void input(String sessionId);
}
