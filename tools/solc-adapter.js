#!/usr/bin/env node
// A command-line face for npm's `solc` (the official compiler built to WebAssembly).
//
// No native solc can be downloaded on our machines, but py-solc-x (and so brownie) only knows how to drive a
// native binary. This adapter answers the two things they ask of one:
//   solc --version                      -> the native banner, so the version (with commit) parses
//   solc --standard-json [--allow-paths a,b] < input.json  -> standard JSON output
// Imports are read from disk: absolute paths as given, relative ones against the working directory, the
// --base-path and every --allow-paths entry (solc applies the remappings before it asks).
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

function writeAll(fd, text) {
  // process.stdout.write is asynchronous on pipes and truncates large outputs when the process exits.
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if (err.code !== "EAGAIN") throw err;
    }
  }
}

function parseArgs(argv) {
  const opts = { roots: [process.cwd()], mode: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--version") opts.mode = "version";
    else if (a === "--standard-json") opts.mode = "standard-json";
    else if (a === "--allow-paths" || a === "--base-path" || a === "--include-path") {
      for (const p of (argv[++i] || "").split(",")) if (p) opts.roots.push(path.resolve(p));
    } else if (a.startsWith("--allow-paths=") || a.startsWith("--base-path=")) {
      for (const p of a.split("=")[1].split(",")) if (p) opts.roots.push(path.resolve(p));
    }
  }
  return opts;
}

function findImportsIn(roots) {
  return (importPath) => {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.join(root, importPath));
    for (const file of candidates) {
      if (fs.existsSync(file) && fs.statSync(file).isFile()) {
        return { contents: fs.readFileSync(file, "utf8") };
      }
    }
    return { error: `File not found: ${importPath} (looked in ${roots.join(", ")})` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.mode === "version") {
    // solc.version() looks like "0.8.24+commit.e11b9ed9.Emscripten.clang"; native prints the same shape.
    writeAll(1, `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return 0;
  }
  if (opts.mode === "standard-json") {
    const input = fs.readFileSync(0, "utf8");
    const output = solc.compile(input, { import: findImportsIn(opts.roots) });
    writeAll(1, output + "\n");
    return 0;
  }
  writeAll(2, "solc-adapter: only --version and --standard-json are supported (this wraps npm's solc-js)\n");
  return 1;
}

process.exitCode = main();
