// SPDX-License-Identifier: MIT OR Apache-2.0
// run_wasi.mjs PROGRAM.wasm [ARG...]: runs a WASI command (a module with _start) under Node.js's
// WASI (node:wasi, preview1) with the host's stdin, stdout and stderr and no file system, and
// exits with the program's exit status. A trap (unreachable, an out-of-bounds access) is printed
// and exits with status 3, as a fault on the Cortex-M4 board does. Usage with ctest: the wasm32
// toolchain names it as CMAKE_CROSSCOMPILING_EMULATOR (run with `node --no-warnings`, since
// node:wasi still prints an experimental-feature warning).
import { readFile } from 'node:fs/promises';
import { argv, exit } from 'node:process';
import { WASI } from 'node:wasi';

const [program, ...args] = argv.slice(2);
if (program === undefined) {
  console.error('usage: node run_wasi.mjs PROGRAM.wasm [ARG...]');
  exit(2);
}

const wasi = new WASI({ version: 'preview1', args: [program, ...args], env: {}, returnOnExit: true });
try {
  const module = await WebAssembly.compile(await readFile(program));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  exit(wasi.start(instance));
} catch (error) {
  console.error(`*** trap: ${error.message}`);
  exit(3);
}
