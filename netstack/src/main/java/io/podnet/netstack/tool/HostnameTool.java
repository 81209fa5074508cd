package io.podnet.netstack.tool;

import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.Link;
import java.util.List;

/**
 * Debian's {@code hostname} (the hostname package): the host's name, {@code -s} its first label,
 * {@code -f} the FQDN (the name: a lab has no domain), {@code -d} the (empty) domain, {@code -i} the
 * name's addresses from /etc/hosts, {@code -I} every address of the up, non-loopback interfaces in
 * interface order, each followed by a space. Setting the name is not emulated.
 */
final class HostnameTool implements Tool {
  private final ToolContext ctx;
  private final List<String> args;

  HostnameTool(ToolContext ctx, List<String> args) {
    this.ctx = ctx;
    this.args = args;
  }

  @Override
  public void start() {
    String mode = "";
    for (String a : args) {
      switch (a) {
        case "-s", "--short" -> mode = "s";
        case "-I", "--all-ip-addresses" -> mode = "I";
        case "-i", "--ip-address" -> mode = "i";
        case "-f", "--fqdn", "--long" -> mode = "f";
        case "-d", "--domain" -> mode = "d";
        case "-a", "--alias", "-A", "--all-fqdns", "-y", "--yp", "--nis", "-b", "--boot", "-F", "--file" -> {
          ctx.err("podnet: hostname " + a + ": not emulated (emulated: hostname, -s, -f, -d, -i, -I)\n");
          ctx.exit(1);
          return;
        }
        case "-h", "--help" -> {
          ctx.err(usage());
          ctx.exit(0);
          return;
        }
        default -> {
          if (a.startsWith("-")) {
            ctx.err((a.startsWith("--") ? "hostname: unrecognized option '" + a + "'\n"
                : "hostname: invalid option -- '" + a.charAt(1) + "'\n") + usage());
            ctx.exit(1);
          } else {
            ctx.err("podnet: hostname: setting the host name is not emulated\n");
            ctx.exit(1);
          }
          return;
        }
      }
    }
    String name = ctx.hostName();
    switch (mode) {
      case "s" -> ctx.out((name.indexOf('.') >= 0 ? name.substring(0, name.indexOf('.')) : name) + "\n");
      case "f" -> ctx.out(name + "\n"); // no domain in a lab: the FQDN is the name
      case "d" -> ctx.out("\n");
      case "i" -> {
        // the name's addresses as the resolver finds them (/etc/hosts)
        StringBuilder b = new StringBuilder();
        new java.util.TreeMap<>(ctx.etcHosts()).forEach((ip, names) -> {
          if (List.of(names.trim().split("\\s+")).contains(name)) {
            b.append(ip).append(' ');
          }
        });
        if (b.length() == 0) {
          ctx.err("hostname: Name or service not known\n");
          ctx.exit(1);
          return;
        }
        ctx.out(b.append('\n').toString());
      }
      case "I" -> {
        StringBuilder b = new StringBuilder();
        for (Link l : ctx.core().stack().links().all()) {
          if (!l.up() || l.isLoopback()) {
            continue;
          }
          for (IfAddress a : l.addresses()) {
            b.append(a.local()).append(' ');
          }
        }
        ctx.out(b.append('\n').toString());
      }
      default -> ctx.out(name + "\n");
    }
    ctx.exit(0);
  }

  static String usage() {
    return """
        Usage: hostname [-b] {hostname|-F file}         set host name (from file)
               hostname [-a|-A|-d|-f|-i|-I|-s|-y]       display formatted name
               hostname                                 display host name

               {yp,nis,}domainname {nisdomain|-F file}  set NIS domain name (from file)
               {yp,nis,}domainname                      display NIS domain name

               dnsdomainname                            display dns domain name

               hostname -V|--version|-h|--help          print info and exit

        Program name:
               {yp,nis,}domainname=hostname -y
               dnsdomainname=hostname -d

        Program options:
            -a, --alias            alias names
            -A, --all-fqdns        all long host names (FQDNs)
            -b, --boot             set default hostname if none available
            -d, --domain           DNS domain name
            -f, --fqdn, --long     long host name (FQDN)
            -F, --file             read host name or NIS domain name from given file
            -i, --ip-address       addresses for the host name
            -I, --all-ip-addresses all addresses for the host
            -s, --short            short host name
            -y, --yp, --nis        NIS/YP domain name

        Description:
           This command can get or set the host name or the NIS domain name. You can
           also get the DNS domain or the FQDN (fully qualified domain name).
           Unless you are using bind or NIS for host lookups you can change the
           FQDN (Fully Qualified Domain Name) and the DNS domain name (which is
           part of the FQDN) in the /etc/hosts file.
        """;
  }
}
