/**
 * Starts a bench child the way `pnpm start` starts the server (apps/server/start.mjs): Node's
 * compile cache on before the first TypeScript file loads, so the RSS measured is the server's
 * and not the TypeScript stripper's (about 17 MB, loaded only on a cache miss).
 *
 *   node with-compile-cache.mjs <child script>
 *
 * The cache folder comes from NODE_COMPILE_CACHE (the harness sets one of its own). It is written
 * once the child has started, so the next child finds every module it loaded.
 */
import module from 'node:module';
import { pathToFileURL } from 'node:url';

module.enableCompileCache?.();
await import(pathToFileURL(process.argv[2] ?? '').href);
module.flushCompileCache?.();
