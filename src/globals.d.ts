// Build-time names the bundler provides (see .config/webpack/).

/** The AMD loader's meta module (webpack external `amd-module` → `module`). */
declare module 'amd-module' {
  const amdModule: { uri?: string } | undefined;
  export default amdModule;
}

/** webpack's run-time public path, where lazy chunks are loaded from. */
declare let __webpack_public_path__: string;

/** A file's text, bundled as a string (webpack `asset/source`, see .config/webpack/). */
declare module '*?raw' {
  const source: string;
  export default source;
}
