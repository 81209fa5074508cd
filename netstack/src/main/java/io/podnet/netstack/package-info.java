/** podnet netstack. */
package io.podnet.netstack;
