// The chat widget's weight on a shop's page: each file the browser loads, minified (terser for the
// scripts, comments and spaces removed from the stylesheet) and gzipped as a server would send it.
// Run: node bench/widget_size.js   (make widget-size). Exits 1 when the widget's own files pass the budget.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const zlib = require("node:zlib");
const {minify} = require("terser");

const ROOT = path.join(__dirname, "..");
const WIDGET = path.join(ROOT, "bot", "desk", "static", "widget");
const BUDGET_BYTES = 30 * 1024;

function minifyCss(css) {
  return css.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\s+/g, " ").replace(/\s*([{}:;,>])\s*/g, "$1").replace(/;}/g, "}").trim();
}

function gzipped(text) {
  return zlib.gzipSync(Buffer.from(text), {level: 9}).length;
}

async function main() {
  const rows = [];
  for (const name of ["widget.js", "core.js"]) {
    const source = fs.readFileSync(path.join(WIDGET, name), "utf8");
    const result = await minify(source, {compress: true, mangle: true, ecma: 2018});
    rows.push({file: name, source: Buffer.byteLength(source), minified: Buffer.byteLength(result.code), gzip: gzipped(result.code)});
  }
  const css = fs.readFileSync(path.join(WIDGET, "widget.css"), "utf8");
  const small = minifyCss(css);
  rows.push({file: "widget.css", source: Buffer.byteLength(css), minified: Buffer.byteLength(small), gzip: gzipped(small)});
  const ours = rows.reduce((sum, row) => sum + row.gzip, 0);
  const socketIo = fs.readFileSync(path.join(ROOT, "node_modules", "socket.io-client", "dist", "socket.io.min.js"), "utf8");
  rows.push({file: "socket.io.min.js (socket.io-client, as shipped)", source: Buffer.byteLength(socketIo),
             minified: Buffer.byteLength(socketIo), gzip: gzipped(socketIo)});

  console.log("file".padEnd(50) + "source".padStart(9) + "minified".padStart(10) + "gzipped".padStart(9));
  for (const row of rows) {
    console.log(row.file.padEnd(50) + String(row.source).padStart(9) + String(row.minified).padStart(10) + String(row.gzip).padStart(9));
  }
  console.log(`widget (widget.js + core.js + widget.css), minified and gzipped: ${(ours / 1024).toFixed(1)} KB ` +
              `(budget ${BUDGET_BYTES / 1024} KB), plus socket.io-client ${(rows[rows.length - 1].gzip / 1024).toFixed(1)} KB`);
  if (ours > BUDGET_BYTES) process.exitCode = 1;
}

main();
