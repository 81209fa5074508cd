/** podnet router-actor. */
package io.podnet.router;
