/** The runtime's version, part of the render cache key (SPEC §3.6): a new px or arquero invalidates cached figures. */
import pkg from '../package.json' with { type: 'json' };
import arqueroPkg from 'arquero/package.json' with { type: 'json' };

/** `<@plotbox/sandbox-runtime version>+arquero.<arquero version>`, e.g. `0.1.0+arquero.8.0.3`. */
export const RUNTIME_VERSION = `${pkg.version}+arquero.${arqueroPkg.version}`;
