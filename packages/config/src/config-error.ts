import { PlotboxError } from '@plotbox/errors';

/** Thrown for any refused configuration. Messages name variables, never secret values. */
export class ConfigError extends PlotboxError<'CONFIG_INVALID', never> {
  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
  }
}
