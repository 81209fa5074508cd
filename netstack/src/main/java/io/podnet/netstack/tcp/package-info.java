/**
 * A host's TCP as plain code: {@link io.podnet.netstack.tcp.TcpLayer} is registered with the IPv4
 * core for protocol 6 and sends through its {@link io.podnet.netstack.core.IpSender}; time comes
 * from the host's {@link io.podnet.netstack.core.Timers}, randomness (ports, ISNs, timestamp
 * offsets) from the lab's seeded generator.
 *
 * <p>The emulated tools use callbacks on the host's single core thread:
 *
 * <pre>{@code
 * // a server (whoami): answer each request, then close
 * tcp.listen(Ipv4Address.ANY, 80, 4096, conn -> new TcpListener() {
 *   public void onData(TcpConnection c, byte[] d) { c.send(response); c.close(); }
 * });
 * // a client (curl): connect, write, read until EOF; --connect-timeout is a timer calling abort()
 * TcpConnection c = tcp.connect(dst, 80, new TcpListener() {
 *   public void onConnected(TcpConnection c) { c.send(request); }
 *   public void onData(TcpConnection c, byte[] d) { out.write(d); }
 *   public void onPeerClosed(TcpConnection c) { c.close(); done(0); }
 *   public void onError(TcpConnection c, SocketError e) { done(7); }
 * });
 * }</pre>
 *
 * {@link io.podnet.netstack.tcp.TcpLayer#connections()} gives {@code ss -tan}'s view.
 */
package io.podnet.netstack.tcp;
