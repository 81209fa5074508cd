/** podnet deploy. */
package io.podnet.deploy;
