package io.podnet.netstack.route;

/** The errnos the routing layer answers with, and strerror's text for each. */
public enum Errno {
  EEXIST("File exists"),
  ESRCH("No such process"),
  ENOENT("No such file or directory"),
  ENODEV("No such device"),
  ENETDOWN("Network is down"),
  ENETUNREACH("Network is unreachable"),
  EHOSTUNREACH("No route to host"),
  EACCES("Permission denied"),
  EINVAL("Invalid argument"),
  EADDRNOTAVAIL("Cannot assign requested address"),
  EOPNOTSUPP("Operation not supported");

  private final String message;

  Errno(String message) {
    this.message = message;
  }

  public String message() {
    return message;
  }
}
