// Registered by `npm run test:unit` (node --import): unit tests load @grafana/data's CommonJS build.
// Its ESM build imports a named export (`tz`) from moment-timezone, a CommonJS module whose exports
// Node's ESM loader cannot see, so `import '@grafana/data'` fails under plain Node. Grafana's own
// unit tests (Jest) run the CommonJS build too; in the plugin, Grafana provides the module.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    return specifier === '@grafana/data'
      ? nextResolve(specifier, { ...context, conditions: ['require', 'node', 'default'] })
      : nextResolve(specifier, context);
  },
});
