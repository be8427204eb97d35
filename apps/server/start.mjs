/**
 * `pnpm start`'s entry: Node's compile cache goes on before the first TypeScript file loads, so
 * every start after the first reuses the stripped and compiled modules. The TypeScript stripper
 * (about 17 MB resident) is then never loaded, and start-up is shorter. The cache sits in the OS's
 * temporary folder (NODE_COMPILE_CACHE names another, NODE_DISABLE_COMPILE_CACHE=1 turns it off);
 * Node checks each entry against its source file's hash, so an edited file is compiled afresh.
 * Plain JavaScript on purpose: a .ts entry would load the stripper before the cache is on.
 */
import module from 'node:module';

module.enableCompileCache?.();
await import('./src/main.ts');
